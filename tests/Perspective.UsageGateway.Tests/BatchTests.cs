using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Perspective.Contracts.Events.Gateway.V1;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Testing;

namespace Perspective.UsageGateway.Tests;

/// <summary>Charges arriving together are paid in batches (group commit): each exactly once, each refusal its own.</summary>
public sealed class BatchTests(TestInfrastructure infrastructure) : GatewayTestBase(infrastructure)
{
    // One writer: while its batch is at the database or the Ledger, every other charge of the burst queues behind it.
    protected override Dictionary<string, string?> GatewaySettings => new() { ["Gateway:ChargeWriters"] = "1" };

    [Fact]
    public async Task A_burst_of_charges_is_paid_in_batches_each_once_and_only_the_charges_that_must_fail_do()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000_000);
        await AllowAsync("bob", model.ModelId, 25); // room for two charges of 10
        await AllowAsync("dave", model.ModelId, 1_000); // dave holds no POV: the Ledger refuses his legs
        var alice = Enumerable.Range(0, 90).Select(i => Charge(model.ModelId, "alice", 1 + i % 3)).ToList();
        var bob = Enumerable.Range(0, 5).Select(_ => Charge(model.ModelId, "bob", 1)).ToList();
        var dave = Enumerable.Range(0, 2).Select(_ => Charge(model.ModelId, "dave", 1)).ToList();
        List<ChargeUsageRequest> all = [.. alice.Take(45), .. bob, .. dave, .. alice.Skip(45)];

        var outcomes = await Task.WhenAll(all.Select(async request =>
        {
            try
            {
                return (request.RequestId, Paid: await ChargeAsync(request), Refused: (RpcException?)null);
            }
            catch (RpcException ex)
            {
                return (request.RequestId, Paid: (ChargeUsageResponse?)null, Refused: ex);
            }
        }));
        var byId = outcomes.ToDictionary(o => o.RequestId);

        var aliceSpent = alice.Sum(r => r.Units * Price);
        Assert.All(alice, r => Assert.Equal(r.Units * Price, byId[r.RequestId].Paid!.Payment.Amount));
        var bobOutcomes = bob.Select(r => byId[r.RequestId]).ToList();
        Assert.Equal(2, bobOutcomes.Count(o => o.Paid is not null));
        Assert.All(bobOutcomes.Where(o => o.Paid is null), o =>
        {
            Assert.Equal(StatusCode.FailedPrecondition, o.Refused!.StatusCode);
            Assert.Contains("allowance short", o.Refused.Status.Detail);
        });
        Assert.All(dave, r =>
        {
            Assert.Equal(StatusCode.FailedPrecondition, byId[r.RequestId].Refused!.StatusCode);
            Assert.Contains("balance short", byId[r.RequestId].Refused!.Status.Detail);
        });

        Assert.Equal(AliceGenesis - aliceSpent, (await BalanceAsync("alice")).Total);
        Assert.Equal(BobGenesis - 20, (await BalanceAsync("bob")).Total);
        Assert.Equal(0, (await BalanceAsync("dave")).Total);
        Assert.Equal(aliceSpent + 20, (await BalanceAsync(Treasury(model.ModelId))).Total);
        Assert.Equal((aliceSpent, 0L), Used(await AllowanceAsync("alice", model.ModelId)));
        Assert.Equal((20L, 0L), Used(await AllowanceAsync("bob", model.ModelId)));
        Assert.Equal((0L, 0L), Used(await AllowanceAsync("dave", model.ModelId)));
        Assert.Equal(90, (await PaymentsOfAsync("alice")).Count);
        Assert.Equal(2, (await PaymentsOfAsync("bob")).Count);
        Assert.Empty(await PaymentsOfAsync("dave"));

        // One Ledger transfer per paid charge, with fewer journal entries than transfers: charges shared batches.
        var transfers = (await Ledger.ListTransfersAsync(new ListTransfersRequest { Account = Treasury(model.ModelId), PageSize = 1_000 },
            As("alice"), cancellationToken: Ct)).Transfers;
        Assert.Equal(92, transfers.Count);
        Assert.Equal(92, transfers.Select(t => t.TransferId).Distinct().Count());
        Assert.True(transfers.Select(t => t.Receipt.Sequence).Distinct().Count() < transfers.Count,
            "every charge of the burst was a journal entry of its own: nothing was batched");
    }

    [Fact]
    public async Task Back_to_back_batches_are_marked_paid_in_the_next_ones_reservation_and_every_allowance_balance_and_event_adds_up()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000_000);
        await AllowAsync("bob", model.ModelId, 1_000_000);
        var paid = await Bus.ObserveAsync<UsagePaid>();
        using var steps = new StepCounter(Gateway.Services.GetRequiredService<IMeterFactory>());
        // Sixteen callers, each charging again as soon as it is answered: while one batch is at the Ledger the next charges
        // queue, so batches follow each other and one's marking shares a transaction with the next one's reservation.
        var requests = Enumerable.Range(0, 240).Select(i => Charge(model.ModelId, i % 2 == 0 ? "alice" : "bob", 1 + i % 3)).ToList();
        var responses = new ConcurrentDictionary<string, ChargeUsageResponse>();
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async lane =>
        {
            for (var i = lane; i < requests.Count; i += 16)
            {
                responses[requests[i].RequestId] = await ChargeAsync(requests[i]);
            }
        }));

        var (reserves, marksAlone) = (steps.Count("reserve"), steps.Count("mark_paid"));
        Assert.True(marksAlone < reserves, $"every one of {reserves} batches was marked paid alone ({marksAlone}): none shared the next one's transaction");
        long Spent(string payer) => requests.Where(r => r.PayerAccount == payer).Sum(r => r.Units * Price);
        Assert.All(requests, r => Assert.Equal(r.Units * Price, responses[r.RequestId].Payment.Amount));
        Assert.Equal(240, responses.Values.Select(r => r.Payment.PaymentId).Distinct().Count());
        Assert.Equal((Spent("alice"), 0L), Used(await AllowanceAsync("alice", model.ModelId)));
        Assert.Equal((Spent("bob"), 0L), Used(await AllowanceAsync("bob", model.ModelId)));
        Assert.Equal(AliceGenesis - Spent("alice"), (await BalanceAsync("alice")).Total);
        Assert.Equal(BobGenesis - Spent("bob"), (await BalanceAsync("bob")).Total);
        Assert.Equal(Spent("alice") + Spent("bob"), (await BalanceAsync(Treasury(model.ModelId))).Total);
        Assert.Equal(120, (await PaymentsOfAsync("alice")).Count);
        Assert.Equal(120, (await PaymentsOfAsync("bob")).Count);
        // Each payment's event once, with its amount.
        foreach (var response in responses.Values)
        {
            var published = await paid.WaitForAsync(e => e.PaymentId == response.Payment.PaymentId);
            Assert.Equal(response.Payment.Amount, published.AmountBaseUnits);
        }
        Assert.Equal(240, paid.All.Count(e => e.ModelId == model.ModelId));
    }

    /// <summary>Counts the gateway's batch steps by name, from this test's gateway only (its meter factory).</summary>
    private sealed class StepCounter : IDisposable
    {
        private readonly MeterListener listener = new();
        private readonly ConcurrentDictionary<string, int> counts = new();

        public StepCounter(IMeterFactory factory)
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "gateway.charge.batch.step.duration" && ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "step" && tag.Value is string step)
                    {
                        counts.AddOrUpdate(step, 1, (_, n) => n + 1);
                    }
                }
            });
            listener.Start();
        }

        public int Count(string step) => counts.GetValueOrDefault(step);

        public void Dispose() => listener.Dispose();
    }

    [Fact]
    public async Task Copies_of_one_request_id_arriving_together_with_other_content_charge_once_and_the_others_are_already_exists()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000_000);
        var requestId = Guid.NewGuid().ToString();
        // The same request id with 1, 2 or 3 units: whichever copy is stored first is the request; the others reuse its id.
        var copies = Enumerable.Range(0, 30).Select(i => Charge(model.ModelId, "alice", 1 + i % 3, requestId)).ToList();

        var outcomes = await Task.WhenAll(copies.Select(async request =>
        {
            try
            {
                return (request.Units, Paid: await ChargeAsync(request), Refused: (RpcException?)null);
            }
            catch (RpcException ex)
            {
                return (request.Units, Paid: (ChargeUsageResponse?)null, Refused: ex);
            }
        }));

        var paid = outcomes.Where(o => o.Paid is not null).ToList();
        var winner = Assert.Single(paid.Select(o => o.Paid!.Payment).Distinct());
        Assert.All(paid, o => Assert.Equal(o.Units, winner.Units));
        Assert.All(outcomes.Where(o => o.Paid is null), o =>
        {
            Assert.Equal(StatusCode.AlreadyExists, o.Refused!.StatusCode);
            Assert.NotEqual(winner.Units, o.Units);
        });
        Assert.Equal(AliceGenesis - winner.Amount, (await BalanceAsync("alice")).Total);
        Assert.Equal(winner.Amount, (await BalanceAsync(Treasury(model.ModelId))).Total);
        Assert.Equal((winner.Amount, 0L), Used(await AllowanceAsync("alice", model.ModelId)));
        Assert.Single(await PaymentsOfAsync("alice"));
    }

    private static (long Used, long Reserved) Used(Allowance allowance) => (allowance.UsedAmount, allowance.ReservedAmount);
}

/// <summary>A full charge queue refuses further charges before storing anything, instead of letting them wait without end.</summary>
public sealed class ChargeQueueTests(TestInfrastructure infrastructure) : GatewayTestBase(infrastructure)
{
    protected override Dictionary<string, string?> GatewaySettings => new()
    {
        ["Gateway:ChargeWriters"] = "1",
        ["Gateway:ChargeQueueCapacity"] = "2",
        ["Gateway:ChargeBatchMax"] = "1",
    };

    [Fact]
    public async Task Charges_beyond_a_full_queue_are_unavailable_and_charge_nothing_while_every_accepted_one_is_paid_once()
    {
        var model = await RegisterModelAsync();
        await AllowAsync("alice", model.ModelId, 1_000_000);
        var requests = Enumerable.Range(0, 60).Select(_ => Charge(model.ModelId, "alice", 1)).ToList();

        var outcomes = await Task.WhenAll(requests.Select(async request =>
        {
            try
            {
                return (Paid: await ChargeAsync(request), Refused: (RpcException?)null);
            }
            catch (RpcException ex)
            {
                return (Paid: (ChargeUsageResponse?)null, Refused: ex);
            }
        }));

        var paid = outcomes.Count(o => o.Paid is not null);
        var refused = outcomes.Where(o => o.Paid is null).ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, o =>
        {
            Assert.Equal(StatusCode.Unavailable, o.Refused!.StatusCode);
            Assert.Contains("nothing was charged", o.Refused.Status.Detail);
        });
        Assert.Equal(paid, (await PaymentsOfAsync("alice")).Count);
        Assert.Equal(AliceGenesis - paid * Price, (await BalanceAsync("alice")).Total);
        var allowance = await AllowanceAsync("alice", model.ModelId);
        Assert.Equal((paid * Price, 0L), (allowance.UsedAmount, allowance.ReservedAmount));

        // Refused unpaid, so a retry under the same request id is a fresh charge, paid once.
        var retried = await ChargeAsync(requests[outcomes.ToList().FindIndex(o => o.Paid is null)]);
        Assert.Equal(Price, retried.Payment.Amount);
        Assert.Equal(paid + 1, (await PaymentsOfAsync("alice")).Count);
    }
}
