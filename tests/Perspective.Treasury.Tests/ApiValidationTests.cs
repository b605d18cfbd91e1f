using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Perspective.Contracts.Treasury.V1;
using Perspective.Testing;

namespace Perspective.Treasury.Tests;

public sealed class ApiValidationTests(TestInfrastructure infrastructure) : TreasuryTestBase(infrastructure)
{
    [Fact]
    public async Task Bad_input_is_invalid_argument_naming_the_field()
    {
        var model = await NewModelAsync([]);
        var anyone = As("anyone");

        var cases = new (string Field, Func<Task> Call)[]
        {
            ("model_id", () => Client.GetTreasuryAsync(new GetTreasuryRequest(), anyone, cancellationToken: Ct).ResponseAsync),
            ("model_id", () => Client.GetTreasuryAsync(new GetTreasuryRequest { ModelId = "not-a-uuid" }, anyone, cancellationToken: Ct).ResponseAsync),
            ("page_size", () => Client.ListPayoutsAsync(new ListPayoutsRequest { ModelId = model.ModelId, PageSize = -1 }, anyone, cancellationToken: Ct).ResponseAsync),
            ("page_token", () => Client.ListPayoutsAsync(new ListPayoutsRequest { ModelId = model.ModelId, PageToken = "!!" }, anyone, cancellationToken: Ct).ResponseAsync),
            ("page_token", () => Client.ListRevenueAsync(new ListRevenueRequest { ModelId = model.ModelId, PageToken = "eHl6" }, anyone, cancellationToken: Ct).ResponseAsync),
            ("to_day", () => Client.ListRevenueAsync(new ListRevenueRequest
            {
                ModelId = model.ModelId,
                FromDay = Timestamp.FromDateTimeOffset(Start.AddYears(-20)),
                ToDay = Timestamp.FromDateTimeOffset(Start),
            }, anyone, cancellationToken: Ct).ResponseAsync),
            ("status", () => Client.ListDistributionsAsync(new ListDistributionsRequest { ModelId = model.ModelId, Status = (DistributionStatus)42 }, anyone,
                cancellationToken: Ct).ResponseAsync),
            ("distribution_id", () => Client.GetDistributionAsync(new GetDistributionRequest(), anyone, cancellationToken: Ct).ResponseAsync),
            ("distribution_id", () => Client.ListDistributionLinesAsync(new ListDistributionLinesRequest { DistributionId = "x" }, anyone, cancellationToken: Ct).ResponseAsync),
            ("model_id", () => Client.ReconcileTreasuryAsync(new ReconcileTreasuryRequest(), anyone, cancellationToken: Ct).ResponseAsync),
        };
        foreach (var (field, call) in cases)
        {
            var error = await Assert.ThrowsAsync<RpcException>(call);
            Assert.True(error.StatusCode == StatusCode.InvalidArgument && error.Status.Detail.StartsWith($"{field}:", StringComparison.Ordinal),
                $"{field}: {error.StatusCode} {error.Status.Detail}");
        }
    }

    [Fact]
    public async Task Lists_of_a_model_without_a_treasury_are_not_found()
    {
        var model = Guid.NewGuid().ToString();
        var anyone = As("anyone");

        foreach (var call in new Func<Task>[]
                 {
                     () => Client.ListRevenueAsync(new ListRevenueRequest { ModelId = model }, anyone, cancellationToken: Ct).ResponseAsync,
                     () => Client.ListPayoutsAsync(new ListPayoutsRequest { ModelId = model }, anyone, cancellationToken: Ct).ResponseAsync,
                     () => Client.ListDistributionsAsync(new ListDistributionsRequest { ModelId = model }, anyone, cancellationToken: Ct).ResponseAsync,
                 })
        {
            Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(call)).StatusCode);
        }
    }

    [Fact]
    public async Task Read_rpcs_answer_any_role()
    {
        var model = await NewModelAsync([]);

        foreach (var role in new[] { "user", "provider", "service", "admin" })
        {
            var treasury = await Client.GetTreasuryAsync(new GetTreasuryRequest { ModelId = model.ModelId }, As("someone", role), cancellationToken: Ct);
            Assert.Equal(0, treasury.Treasury.Balance);
        }
    }
}
