using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Perspective.Contracts.Treasury.V1;
using Perspective.ServiceDefaults.Api;
using Perspective.ServiceDefaults.Auth;
using Perspective.ServiceDefaults.Errors;
using Perspective.Treasury.Commands;
using Perspective.Treasury.Data;
using Perspective.Treasury.Domain;

namespace Perspective.Treasury.Api;

/// <summary>gRPC endpoints of <c>perspective.treasury.v1.TreasuryService</c>: map proto to domain and back, nothing else.</summary>
[Authorize(Policy = AuthPolicies.KnownRole)]
public sealed class TreasuryApi(
    TreasuryStore treasuries,
    PayoutStore payouts,
    DistributionStore distributions,
    ITreasuryLedger ledger,
    Reconciler reconciler,
    TimeProvider time) : TreasuryService.TreasuryServiceBase
{
    public override async Task<GetTreasuryResponse> GetTreasury(GetTreasuryRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var row = await TreasuryAsync(request.ModelId, ct);
        var account = TreasuryRules.TreasuryAccount(row.ModelId);
        var balance = await ledger.BalanceAsync(account, TreasuryRules.Pov, ct);
        var revenue = await treasuries.TotalsAsync(row.ModelId, ct);
        var paidOut = await payouts.PaidOutAsync(row.ModelId, ct);
        var (distributed, pending) = await distributions.TotalsAsync(row.ModelId, ct);
        return new GetTreasuryResponse
        {
            Treasury = new ModelTreasury
            {
                ModelId = row.ModelId.ToString("D"),
                TreasuryAccount = account,
                Balance = balance.Total,
                BalanceSequence = balance.AsOfSequence,
                LifetimeRevenue = revenue.Amount,
                PaidOut = paidOut,
                Distributed = distributed,
                Pending = pending,
                PaymentCount = revenue.PaymentCount,
                OpenedAt = TreasuryMapping.Time(row.OpenedAt),
                LastRevenueAt = revenue.LastRevenueAt is { } last ? TreasuryMapping.Time(last) : null,
            },
        };
    }

    public override async Task<ListRevenueResponse> ListRevenue(ListRevenueRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var row = await TreasuryAsync(request.ModelId, ct);
        var size = Paging.Size(request.PageSize);
        var (from, to) = TreasuryRules.RevenueRange(
            request.FromDay is null ? null : TreasuryMapping.Day("from_day", request.FromDay),
            request.ToDay is null ? null : TreasuryMapping.Day("to_day", request.ToDay),
            TreasuryRules.Day(row.OpenedAt), TreasuryRules.Day(time.GetUtcNow()));
        var start = from;
        if (Paging.After(request.PageToken) is { } after)
        {
            // A token is the last day of a page that had more after it: from ≤ last < to.
            var previous = TreasuryMapping.DayFromCursor(after);
            if (previous < from || previous >= to)
            {
                throw DomainException.InvalidArgument("page_token", "is not a token this service returned for this range");
            }
            start = previous.AddDays(1);
        }
        var response = new ListRevenueResponse { TotalAmount = await treasuries.RangeTotalAsync(row.ModelId, from, to, ct) };
        var days = await treasuries.DaysAsync(row.ModelId, start, to, size, ct);
        response.Days.AddRange(days.Select(d => new RevenueDay { Day = TreasuryMapping.Time(d.Day), Amount = d.Amount, PaymentCount = d.PaymentCount }));
        var last = days.Count > 0 ? DateOnly.FromDateTime(days[^1].Day) : to;
        response.NextPageToken = last < to ? Paging.NextToken(TreasuryMapping.DayCursor(last), days.Count, size) : "";
        return response;
    }

    public override async Task<ListPayoutsResponse> ListPayouts(ListPayoutsRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var row = await TreasuryAsync(request.ModelId, ct);
        var size = Paging.Size(request.PageSize);
        var before = TreasuryMapping.Position(Paging.After(request.PageToken)) ?? long.MaxValue;
        var rows = await payouts.ListAsync(row.ModelId, before, size, ct);
        var response = new ListPayoutsResponse { NextPageToken = Paging.NextToken(TreasuryMapping.Cursor(rows.LastOrDefault()?.Position ?? 0), rows.Count, size) };
        response.Payouts.AddRange(rows.Select(TreasuryMapping.ToProto));
        return response;
    }

    public override async Task<GetDistributionResponse> GetDistribution(GetDistributionRequest request, ServerCallContext context) =>
        new() { Distribution = TreasuryMapping.ToProto(await DistributionAsync(request.DistributionId, context.CancellationToken)) };

    public override async Task<ListDistributionsResponse> ListDistributions(ListDistributionsRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var row = await TreasuryAsync(request.ModelId, ct);
        var status = TreasuryMapping.Status(request.Status);
        var size = Paging.Size(request.PageSize);
        var before = TreasuryMapping.Position(Paging.After(request.PageToken)) ?? long.MaxValue;
        var rows = await distributions.ListAsync(row.ModelId, status, before, size, ct);
        var response = new ListDistributionsResponse
        {
            NextPageToken = Paging.NextToken(TreasuryMapping.Cursor(rows.LastOrDefault()?.Position ?? 0), rows.Count, size),
        };
        response.Distributions.AddRange(rows.Select(TreasuryMapping.ToProto));
        return response;
    }

    public override async Task<ListDistributionLinesResponse> ListDistributionLines(ListDistributionLinesRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var distribution = await DistributionAsync(request.DistributionId, ct);
        var size = Paging.Size(request.PageSize);
        var after = TreasuryMapping.Position(Paging.After(request.PageToken)) ?? 0;
        var rows = await distributions.LinesAsync(distribution.DistributionId, after, size, ct);
        var response = new ListDistributionLinesResponse
        {
            NextPageToken = rows.Count > 0 && rows[^1].LineNo < distribution.LineCount
                ? Paging.NextToken(TreasuryMapping.Cursor(rows[^1].LineNo), rows.Count, size)
                : "",
        };
        response.Lines.AddRange(rows.Select(l => TreasuryMapping.ToProto(distribution.DistributionId, l)));
        return response;
    }

    public override async Task<ReconcileTreasuryResponse> ReconcileTreasury(ReconcileTreasuryRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var row = await TreasuryAsync(request.ModelId, ct);
        var caller = context.Caller();
        if (!caller.IsInRole(Roles.Service) && !caller.IsInRole(Roles.Admin) && (row.CreatorAccount is null || caller.Account != row.CreatorAccount))
        {
            throw DomainException.PermissionDenied("reconciling a treasury needs the role service or admin, or the model's creator");
        }
        var result = await reconciler.ReconcileAsync(row.ModelId, ct);
        var response = new ReconcileTreasuryResponse
        {
            ModelId = row.ModelId.ToString("D"),
            // Both: every payment pairs with a credit, and the totals agree.
            Matched = result.DifferenceCount == 0 && result.TreasuryRevenue == result.LedgerRevenue,
            TreasuryRevenue = result.TreasuryRevenue,
            LedgerRevenue = result.LedgerRevenue,
            Difference = checked(result.TreasuryRevenue - result.LedgerRevenue),
            TreasuryPaymentCount = result.TreasuryPaymentCount,
            LedgerPaymentCount = result.LedgerPaymentCount,
            DifferenceCount = result.DifferenceCount,
            LedgerSequence = result.LedgerSequence,
            CheckedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(result.CheckedAt),
        };
        response.Differences.AddRange(result.Differences.Select(TreasuryMapping.ToProto));
        return response;
    }

    private async Task<TreasuryRow> TreasuryAsync(string modelId, CancellationToken ct)
    {
        var id = TreasuryRules.ModelId("model_id", modelId);
        return await treasuries.GetAsync(id, ct) ?? throw DomainException.NotFound($"no treasury for model {modelId}");
    }

    private async Task<DistributionRow> DistributionAsync(string distributionId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(distributionId))
        {
            throw DomainException.InvalidArgument("distribution_id", "is required");
        }
        if (!Guid.TryParseExact(distributionId, "D", out var id))
        {
            throw DomainException.InvalidArgument("distribution_id", "must be a UUID");
        }
        return await distributions.GetAsync(id, ct) ?? throw DomainException.NotFound($"distribution {distributionId} not found");
    }
}
