using Google.Protobuf.WellKnownTypes;
using Perspective.Contracts.Events.Governance.V1;
using Perspective.Contracts.Events.Platform.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.ModelRegistry.Events;
using Perspective.Testing;
using EventStatus = Perspective.Contracts.Events.Registry.V1.ModelStatus;
using EventUnit = Perspective.Contracts.Events.Registry.V1.PriceUnit;
using ModelPricingChanged = Perspective.Contracts.Events.Registry.V1.ModelPricingChanged;
using ModelStatusChanged = Perspective.Contracts.Events.Registry.V1.ModelStatusChanged;
using PlatformExecution = Perspective.Contracts.Events.Platform.V1.ProposalExecutionRequested;
using SubDaoAction = Perspective.Contracts.Events.SubDao.V1.SubDaoAction;
using SubDaoActionKind = Perspective.Contracts.Events.SubDao.V1.SubDaoActionKind;
using SubDaoExecution = Perspective.Contracts.Events.SubDao.V1.ProposalExecutionRequested;

namespace Perspective.ModelRegistry.Tests;

/// <summary>Status and price change only through governance: the test publishes the execution request as the DAO would.</summary>
public sealed class GovernanceTests(TestInfrastructure infrastructure) : RegistryTestBase(infrastructure)
{
    private static PlatformExecution Platform(string proposalId, params PlatformAction[] actions) => new(proposalId, 42, actions, Start);

    private static PlatformAction Action(int index, PlatformActionKind kind, string modelId, string reason = "") => new(index, kind, modelId, reason);

    [Fact]
    public async Task A_platform_delisting_delists_records_the_proposal_publishes_and_answers_executed()
    {
        var statuses = await Bus.ObserveAsync<ModelStatusChanged>();
        var executed = await Bus.ObserveAsync<ProposalActionExecuted>();
        var model = await RegisterAsync(NewModel("Rogue", "ROGU"));
        Clock.Advance(TimeSpan.FromDays(3));

        await Bus.PublishAsync(Platform("p-delist", Action(0, PlatformActionKind.DelistModel, model.ModelId, "violates standard 3")));

        var answer = await executed.WaitForAsync(e => e.ProposalId == "p-delist");
        Assert.Equal(("platform", 0, "registry"), (answer.DaoId, answer.ActionIndex, answer.ExecutedBy));
        Assert.Equal(new ModelStatusChanged(model.ModelId, EventStatus.Listed, EventStatus.Delisted, "p-delist", "violates standard 3", Start.AddDays(3)),
            await statuses.WaitForAsync(e => e.ModelId == model.ModelId));
        Assert.Equal(ModelStatus.Delisted, (await GetAsync(model.ModelId)).Status);
        var entry = (await HistoryAsync(model.ModelId))[1];
        Assert.Equal((ModelChangeKind.StatusChanged, ModelChangeSource.PlatformDao, "p-delist", "", ModelStatus.Listed, ModelStatus.Delisted),
            (entry.Kind, entry.Source, entry.ProposalId, entry.ActorAccount, entry.OldStatus, entry.NewStatus));
        Assert.Equal(Timestamp.FromDateTimeOffset(Start.AddDays(3)), entry.ChangedAt);
    }

    [Fact]
    public async Task A_banned_model_can_never_be_listed_or_reinstated_again()
    {
        var failed = await Bus.ObserveAsync<ProposalActionFailed>();
        var executed = await Bus.ObserveAsync<ProposalActionExecuted>();
        var model = await RegisterAsync(NewModel("Banned", "BAND"));

        await Bus.PublishAsync(Platform("p-ban", Action(0, PlatformActionKind.BanModel, model.ModelId)));
        await executed.WaitForAsync(e => e.ProposalId == "p-ban");
        await Bus.PublishAsync(Platform("p-relist", Action(0, PlatformActionKind.ListModel, model.ModelId), Action(1, PlatformActionKind.ReinstateModel, model.ModelId)));

        var list = await failed.WaitForAsync(e => e.ProposalId == "p-relist" && e.ActionIndex == 0);
        var reinstate = await failed.WaitForAsync(e => e.ProposalId == "p-relist" && e.ActionIndex == 1);
        Assert.Contains("banned", list.Reason, StringComparison.Ordinal);
        Assert.Contains("banned", reinstate.Reason, StringComparison.Ordinal);
        Assert.Equal(ModelStatus.Banned, (await GetAsync(model.ModelId)).Status);
        Assert.Equal([ModelStatus.Listed, ModelStatus.Banned], (await HistoryAsync(model.ModelId)).Select(e => e.NewStatus));
        Assert.Equal(1, await OutboxCountAsync<ModelStatusChanged>());
        var retire = await RejectedAsync(Client.RetireModelAsync(new RetireModelRequest { RequestId = Guid.NewGuid().ToString(), ModelId = model.ModelId },
            As("carol"), cancellationToken: Ct));
        Assert.Equal(Grpc.Core.StatusCode.FailedPrecondition, retire.StatusCode);
    }

    [Fact]
    public async Task A_delisted_model_is_reinstated_and_each_step_is_in_the_history()
    {
        var executed = await Bus.ObserveAsync<ProposalActionExecuted>();
        var model = await RegisterAsync(NewModel("Comeback", "CMBK"));

        await Bus.PublishAsync(Platform("p-1", Action(0, PlatformActionKind.DelistModel, model.ModelId)));
        await executed.WaitForAsync(e => e.ProposalId == "p-1");
        await Bus.PublishAsync(Platform("p-2", Action(0, PlatformActionKind.ReinstateModel, model.ModelId)));
        await executed.WaitForAsync(e => e.ProposalId == "p-2");

        var history = await HistoryAsync(model.ModelId);
        Assert.Equal([(1L, ""), (2L, "p-1"), (3L, "p-2")], history.Select(e => (e.Version, e.ProposalId)));
        Assert.Equal([ModelStatus.Listed, ModelStatus.Delisted, ModelStatus.Listed], history.Select(e => e.NewStatus));
        Assert.Equal((ModelStatus.Listed, 3L), ((await GetAsync(model.ModelId)).Status, (await GetAsync(model.ModelId)).Version));
    }

    [Fact]
    public async Task A_transition_the_status_does_not_allow_or_an_unknown_model_is_answered_failed_and_changes_nothing()
    {
        var failed = await Bus.ObserveAsync<ProposalActionFailed>();
        var model = await RegisterAsync(NewModel("Steady", "STDY"));

        await Bus.PublishAsync(Platform("p-noop",
            Action(0, PlatformActionKind.ListModel, model.ModelId),
            Action(1, PlatformActionKind.ReinstateModel, model.ModelId),
            Action(2, PlatformActionKind.DelistModel, Guid.NewGuid().ToString()),
            Action(3, PlatformActionKind.BanModel, "not-a-uuid")));

        var reasons = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            reasons.Add((await failed.WaitForAsync(e => e.ProposalId == "p-noop" && e.ActionIndex == i)).Reason);
        }
        Assert.Contains("already Listed", reasons[0], StringComparison.Ordinal);
        Assert.Contains("only a delisted model can be reinstated", reasons[1], StringComparison.Ordinal);
        Assert.Contains("not found", reasons[2], StringComparison.Ordinal);
        Assert.StartsWith("model_id:", reasons[3], StringComparison.Ordinal);
        Assert.Equal(1, (await GetAsync(model.ModelId)).Version);
        Assert.Equal(0, await OutboxCountAsync<ModelStatusChanged>());
    }

    [Fact]
    public async Task Actions_that_are_not_the_registrys_are_left_unanswered()
    {
        var model = await RegisterAsync(NewModel("Mixed", "MIXD"));
        var executed = await Bus.ObserveAsync<ProposalActionExecuted>();

        await Bus.PublishAsync(Platform("p-mixed",
            new PlatformAction(0, PlatformActionKind.Signal, Text: "more GPUs"),
            Action(1, PlatformActionKind.DelistModel, model.ModelId),
            new PlatformAction(2, PlatformActionKind.SetParameter, Key: "quorum_bps", Value: "400"),
            new PlatformAction(3, PlatformActionKind.PublishStandard, Title: "Safety", Version: "1", TextDigest: new string('a', 64))));

        await executed.WaitForAsync(e => e.ProposalId == "p-mixed" && e.ActionIndex == 1);
        Assert.Equal(1, await OutboxCountAsync<ProposalActionExecuted>());
        Assert.Equal(0, await OutboxCountAsync<ProposalActionFailed>());
    }

    [Fact]
    public async Task The_same_decision_delivered_twice_acts_once()
    {
        var model = await RegisterAsync(NewModel("Twice", "TWCE"));
        var decision = Platform("p-twice", Action(0, PlatformActionKind.DelistModel, model.ModelId));

        await Bus.PublishAsync(decision);
        await Bus.PublishAsync(decision);
        await WaitConsumedAsync<PlatformExecutionConsumer>(2);

        Assert.Equal(2, (await HistoryAsync(model.ModelId)).Count);
        Assert.Equal(1, await OutboxCountAsync<ModelStatusChanged>());
        Assert.Equal(1, await OutboxCountAsync<ProposalActionExecuted>());
        Assert.Equal(0, await OutboxCountAsync<ProposalActionFailed>());
    }

    [Fact]
    public async Task A_sub_dao_fee_decision_changes_the_price_records_it_publishes_and_answers_with_the_model_as_dao()
    {
        var prices = await Bus.ObserveAsync<ModelPricingChanged>();
        var executed = await Bus.ObserveAsync<ProposalActionExecuted>();
        var model = await RegisterAsync(NewModel("Tariff", "TRFF", price: 25, unit: UsageUnit.Second));
        Clock.Advance(TimeSpan.FromMinutes(90));

        await Bus.PublishAsync(new SubDaoExecution("s-fee", model.ModelId, 7,
            [new SubDaoAction(0, SubDaoActionKind.Signal, Text: "thanks"), new SubDaoAction(1, SubDaoActionKind.SetUsageFee, PricePerUnitBaseUnits: 31)], Start));

        var answer = await executed.WaitForAsync(e => e.ProposalId == "s-fee");
        Assert.Equal((model.ModelId, 1), (answer.DaoId, answer.ActionIndex));
        Assert.Equal(new ModelPricingChanged(model.ModelId, 25, 31, EventUnit.Second, "s-fee", Start.AddMinutes(90)),
            await prices.WaitForAsync(e => e.ModelId == model.ModelId));
        var current = await GetAsync(model.ModelId);
        Assert.Equal((31L, UsageUnit.Second, 2L), (current.Price.AmountPerUnit, current.Price.Unit, current.Version));
        var entry = (await HistoryAsync(model.ModelId))[1];
        Assert.Equal((ModelChangeKind.PriceChanged, ModelChangeSource.SubDao, "s-fee", 25L, 31L, ModelStatus.Listed, ModelStatus.Listed),
            (entry.Kind, entry.Source, entry.ProposalId, entry.OldPrice.AmountPerUnit, entry.NewPrice.AmountPerUnit, entry.OldStatus, entry.NewStatus));
        Assert.Equal(1, await OutboxCountAsync<ProposalActionExecuted>());
    }

    [Fact]
    public async Task A_sub_dao_fee_that_is_negative_missing_unchanged_or_for_a_banned_model_fails_and_changes_nothing()
    {
        var failed = await Bus.ObserveAsync<ProposalActionFailed>();
        var executed = await Bus.ObserveAsync<ProposalActionExecuted>();
        var model = await RegisterAsync(NewModel("Fixed", "FIXD", price: 10));
        var banned = await RegisterAsync(NewModel("Gone", "GONE", price: 10));
        await Bus.PublishAsync(Platform("p-ban", Action(0, PlatformActionKind.BanModel, banned.ModelId)));
        await executed.WaitForAsync(e => e.ProposalId == "p-ban");

        await Bus.PublishAsync(new SubDaoExecution("s-bad", model.ModelId, 7,
        [
            new SubDaoAction(0, SubDaoActionKind.SetUsageFee, PricePerUnitBaseUnits: -1),
            new SubDaoAction(1, SubDaoActionKind.SetUsageFee),
            new SubDaoAction(2, SubDaoActionKind.SetUsageFee, PricePerUnitBaseUnits: 10),
        ], Start));
        await Bus.PublishAsync(new SubDaoExecution("s-banned", banned.ModelId, 7, [new SubDaoAction(0, SubDaoActionKind.SetUsageFee, PricePerUnitBaseUnits: 99)], Start));

        Assert.Contains("must not be negative", (await failed.WaitForAsync(e => e.ProposalId == "s-bad" && e.ActionIndex == 0)).Reason, StringComparison.Ordinal);
        Assert.Contains("is required", (await failed.WaitForAsync(e => e.ProposalId == "s-bad" && e.ActionIndex == 1)).Reason, StringComparison.Ordinal);
        Assert.Contains("already 10", (await failed.WaitForAsync(e => e.ProposalId == "s-bad" && e.ActionIndex == 2)).Reason, StringComparison.Ordinal);
        Assert.Contains("banned", (await failed.WaitForAsync(e => e.ProposalId == "s-banned")).Reason, StringComparison.Ordinal);
        Assert.Equal((10L, 1L), ((await GetAsync(model.ModelId)).Price.AmountPerUnit, (await GetAsync(model.ModelId)).Version));
        Assert.Equal(10, (await GetAsync(banned.ModelId)).Price.AmountPerUnit);
        Assert.Equal(0, await OutboxCountAsync<ModelPricingChanged>());
    }
}
