using Perspective.Contracts.Events.Governance.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Treasury.V1;
using Perspective.Testing;
using Perspective.Treasury.Domain;

namespace Perspective.Treasury.Tests;

public sealed class PayoutTests(TestInfrastructure infrastructure) : TreasuryTestBase(infrastructure)
{
    [Fact]
    public async Task A_spend_delivered_twice_under_two_message_ids_pays_once()
    {
        var model = await NewModelAsync([]);
        await FundTreasuryAsync(model, 1_000);
        var recipient = $"grantee-{Tag()}";
        var executed = await Bus.ObserveAsync<ProposalActionExecuted>();
        var request = Execution(model, "proposal-spend-1", 1, Spend(0, recipient, 400, "audit of the model"));

        await Bus.PublishAsync(request);
        await Bus.PublishAsync(request);
        await WaitExecutionsConsumedAsync(2);
        var answer = await executed.WaitForAsync(e => e.ProposalId == "proposal-spend-1");

        Assert.Equal((model.ModelId, 0, "treasury"), (answer.DaoId, answer.ActionIndex, answer.ExecutedBy));
        Assert.Equal(400, await PovAsync(recipient));
        Assert.Equal(600, await PovAsync(model.TreasuryAccount));
        var outgoing = (await Ledger.ListTransfersAsync(new ListTransfersRequest { Account = model.TreasuryAccount, Asset = "POV" }, As("anyone"), cancellationToken: Ct))
            .Transfers.Where(t => t.FromAccount == model.TreasuryAccount).ToList();
        var transfer = Assert.Single(outgoing);
        Assert.Equal(DerivedIds.Payout("proposal-spend-1", 0).ToString("D"), transfer.TransferId);
        Assert.Equal("audit of the model", transfer.Memo);
        Assert.Equal(1, await OutboxCountAsync<ProposalActionExecuted>());

        var payout = Assert.Single((await Client.ListPayoutsAsync(new ListPayoutsRequest { ModelId = model.ModelId }, As("anyone"), cancellationToken: Ct)).Payouts);
        Assert.Equal((PayoutStatus.Paid, recipient, 400L, "audit of the model", "proposal-spend-1"),
            (payout.Status, payout.RecipientAccount, payout.Amount, payout.Purpose, payout.ProposalId));
        Assert.Equal((transfer.TransferId, transfer.Receipt.Sequence, transfer.Receipt.Hash), (payout.LedgerTransferId, payout.LedgerSequence, payout.LedgerHash));
        Assert.Equal(Start, payout.ExecutedAt.ToDateTimeOffset());
        var treasury = (await Client.GetTreasuryAsync(new GetTreasuryRequest { ModelId = model.ModelId }, As("anyone"), cancellationToken: Ct)).Treasury;
        Assert.Equal((600L, 400L, 0L), (treasury.Balance, treasury.PaidOut, treasury.LifetimeRevenue));
    }

    [Fact]
    public async Task A_spend_larger_than_the_treasury_fails_with_the_reason_and_moves_nothing()
    {
        var model = await NewModelAsync([]);
        await FundTreasuryAsync(model, 300);
        var recipient = $"grantee-{Tag()}";
        var failed = await Bus.ObserveAsync<ProposalActionFailed>();

        await Bus.PublishAsync(Execution(model, "proposal-too-much", 1, Spend(2, recipient, 301)));
        var answer = await failed.WaitForAsync(e => e.ProposalId == "proposal-too-much");

        Assert.Equal((model.ModelId, 2, "treasury"), (answer.DaoId, answer.ActionIndex, answer.ExecutedBy));
        Assert.Equal("treasury balance: have 300 POV available, need 301, 0 reserved for distributions in progress", answer.Reason);
        Assert.Equal(300, await PovAsync(model.TreasuryAccount));
        Assert.Equal(0, await PovAsync(recipient));
        var payout = Assert.Single((await Client.ListPayoutsAsync(new ListPayoutsRequest { ModelId = model.ModelId }, As("anyone"), cancellationToken: Ct)).Payouts);
        Assert.Equal((PayoutStatus.Failed, answer.Reason, "", 0L), (payout.Status, payout.FailureReason, payout.LedgerTransferId, payout.LedgerSequence));
    }

    [Fact]
    public async Task The_answers_echo_the_model_id_exactly_as_the_request_spelled_it()
    {
        var model = await NewModelAsync([]);
        await FundTreasuryAsync(model, 100);
        var executed = await Bus.ObserveAsync<ProposalActionExecuted>();
        var failed = await Bus.ObserveAsync<ProposalActionFailed>();
        var spelled = model.ModelId.ToUpperInvariant();

        await Bus.PublishAsync(Execution(model, "proposal-upper", 1, Spend(0, "carol", 60), Spend(1, "dave", 60)) with { ModelId = spelled });
        var paid = await executed.WaitForAsync(e => e.ProposalId == "proposal-upper");
        var refused = await failed.WaitForAsync(e => e.ProposalId == "proposal-upper");

        Assert.NotEqual(model.ModelId, spelled);
        Assert.Equal((spelled, 0), (paid.DaoId, paid.ActionIndex));
        Assert.Equal((spelled, 1), (refused.DaoId, refused.ActionIndex));
        Assert.Equal(60, await PovAsync("carol"));
    }

    [Fact]
    public async Task Invalid_spends_fail_and_the_valid_actions_of_the_same_proposal_still_run_in_order()
    {
        var model = await NewModelAsync([]);
        await FundTreasuryAsync(model, 100);
        var failed = await Bus.ObserveAsync<ProposalActionFailed>();
        var executed = await Bus.ObserveAsync<ProposalActionExecuted>();

        await Bus.PublishAsync(Execution(model, "proposal-mixed", 1,
            Spend(3, "carol", 60),
            Spend(0, "issuance:POV", 5),
            Spend(1, model.TreasuryAccount, 5),
            Spend(2, "dave", 0),
            Spend(4, "erin", 60)));
        await failed.WaitForAsync(e => e.ProposalId == "proposal-mixed" && e.ActionIndex == 4);
        await executed.WaitForAsync(e => e.ProposalId == "proposal-mixed" && e.ActionIndex == 3);

        var reasons = failed.All.Where(e => e.ProposalId == "proposal-mixed").OrderBy(e => e.ActionIndex).Select(e => (e.ActionIndex, e.Reason)).ToList();
        Assert.Equal([
            (0, "recipient: issuance:POV is an issuance account"),
            (1, "recipient: is the treasury itself"),
            (2, "amount: must be positive (was 0)"),
            (4, "treasury balance: have 40 POV available, need 60, 0 reserved for distributions in progress"),
        ], reasons);
        Assert.Equal(40, await PovAsync(model.TreasuryAccount));
        // Newest first.
        var payouts = (await Client.ListPayoutsAsync(new ListPayoutsRequest { ModelId = model.ModelId, PageSize = 2 }, As("anyone"), cancellationToken: Ct));
        Assert.Equal(["erin", "carol"], payouts.Payouts.Select(p => p.RecipientAccount));
        var rest = await Client.ListPayoutsAsync(new ListPayoutsRequest { ModelId = model.ModelId, PageToken = payouts.NextPageToken }, As("anyone"), cancellationToken: Ct);
        Assert.Equal(["dave", model.TreasuryAccount, "issuance:POV"], rest.Payouts.Select(p => p.RecipientAccount));
    }
}
