using Grpc.Core;
using Perspective.Contracts.Events.Governance.V1;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.SubDao.V1;
using Perspective.SubDaoGovernance.Events;
using Perspective.Testing;
using Decided = Perspective.Contracts.Events.SubDao.V1.ProposalDecided;
using ExecutionRequested = Perspective.Contracts.Events.SubDao.V1.ProposalExecutionRequested;
using ModelRegistered = Perspective.Contracts.Events.Registry.V1.ModelRegistered;
using ModelStatusChanged = Perspective.Contracts.Events.Registry.V1.ModelStatusChanged;
using PlatformAction = Perspective.Contracts.Events.Platform.V1.PlatformAction;
using PlatformActionKind = Perspective.Contracts.Events.Platform.V1.PlatformActionKind;
using PlatformExecution = Perspective.Contracts.Events.Platform.V1.ProposalExecutionRequested;
using PlatformParameterChanged = Perspective.Contracts.Events.Platform.V1.PlatformParameterChanged;

namespace Perspective.SubDaoGovernance.Tests;

/// <summary>Events in and out: redelivered ones have no second effect; bans and platform parameters reach the sub-DAOs.</summary>
public sealed class DeliveryTests(TestInfrastructure infrastructure) : SubDaoTestBase(infrastructure)
{
    private Task WaitConsumedAsync<TConsumer>(int count) => Eventually.WaitAsync(
        () => SubDaoScalarAsync<int>("select count(*)::int from inbox_messages where consumer = @consumer", new { consumer = typeof(TConsumer).FullName }),
        consumed => consumed >= count, TimeSpan.FromSeconds(20), $"{count} message(s) consumed by {typeof(TConsumer).Name}");

    [Fact]
    public async Task A_redelivered_answer_or_a_contradicting_second_answer_has_no_second_effect()
    {
        var model = await NewModelAsync("REDO", price: 25);
        var p = await ProposeAsync("carol", model.ModelId, Fee(30));
        await OpenAsync(p);
        await VoteAsync("carol", p.ProposalId, VoteSupport.For);
        await CloseAsync(p.ProposalId);
        await ExecuteAsync(p.ProposalId);
        var executed = await WaitStateAsync(p.ProposalId, ProposalState.Executed);
        await WaitConsumedAsync<ProposalActionExecutedConsumer>(1);

        var now = Clock.GetUtcNow();
        await Bus.PublishAsync(new ProposalActionExecuted(p.ProposalId, model.ModelId, 0, "registry", "again", now));
        await Bus.PublishAsync(new ProposalActionFailed(p.ProposalId, model.ModelId, 0, "registry", "contradiction", now));
        await Bus.PublishAsync(new ProposalActionFailed(Guid.NewGuid().ToString(), model.ModelId, 0, "registry", "not ours", now));
        await Bus.PublishAsync(new ProposalActionFailed(p.ProposalId, "another-dao", 0, "registry", "wrong dao", now));
        await WaitConsumedAsync<ProposalActionExecutedConsumer>(2);
        await WaitConsumedAsync<ProposalActionFailedConsumer>(3);

        var after = await GetAsync(p.ProposalId);
        Assert.Equal((ProposalState.Executed, "", executed.Timeline.ExecutedAt), (after.State, after.FailureReason, after.Timeline.ExecutedAt));
        Assert.StartsWith("registry: model ", await SubDaoScalarAsync<string>("select executed_by || ': ' || detail from proposal_actions"),
            StringComparison.Ordinal);
        Assert.Equal(1, await SubDaoScalarAsync<int>("select count(*)::int from proposal_actions"));
        Assert.Equal(1, await OutboxCountAsync<Decided>());
        Assert.Equal(1, await OutboxCountAsync<ExecutionRequested>());
    }

    [Fact]
    public async Task A_redelivered_execution_request_changes_the_fee_once_and_is_answered_once()
    {
        var requests = await Bus.ObserveAsync<ExecutionRequested>();
        var model = await NewModelAsync("AGIN", price: 25);
        var p = await ProposeAsync("carol", model.ModelId, Fee(33));
        await OpenAsync(p);
        await VoteAsync("carol", p.ProposalId, VoteSupport.For);
        await CloseAsync(p.ProposalId);
        await ExecuteAsync(p.ProposalId);
        await WaitStateAsync(p.ProposalId, ProposalState.Executed);
        var request = await requests.WaitForAsync(e => e.ProposalId == p.ProposalId);

        await Bus.PublishAsync(request);
        await Eventually.WaitAsync(() => RegistryScalarAsync<int>("select count(*)::int from inbox_messages where consumer like '%SubDaoExecutionConsumer'"),
            n => n >= 2, TimeSpan.FromSeconds(20), "the registry taking the request again");

        var history = await Models.GetModelHistoryAsync(new Perspective.Contracts.Registry.V1.GetModelHistoryRequest { ModelId = model.ModelId }, As("anyone"),
            cancellationToken: Ct);
        Assert.Equal([25L, 33L], history.Entries.Select(e => e.NewPrice.AmountPerUnit));
        Assert.Equal(1, await RegistryScalarAsync<int>("select count(*)::int from outbox_messages where message_type like '%ProposalActionExecuted'"));
        Assert.Equal(ProposalState.Executed, (await GetAsync(p.ProposalId)).State);
        Assert.Equal(1, await SubDaoScalarAsync<int>("select count(*)::int from proposal_actions"));
    }

    private async Task<T> RegistryScalarAsync<T>(string sql)
    {
        await using var db = new Npgsql.NpgsqlConnection(Registry.DatabaseConnectionString);
        return (await Dapper.SqlMapper.ExecuteScalarAsync<T>(db, sql))!;
    }

    [Fact]
    public async Task A_redelivered_model_registration_creates_one_dao_and_keeps_its_settings()
    {
        var model = await NewModelAsync("ONCE");
        var before = await DaoAsync(model.ModelId);
        await Bus.PublishAsync(new ModelRegistered(model.ModelId, "Model ONCE", "carol", "provider-1", "OTHER", 0, 5, 1,
            Perspective.Contracts.Events.Registry.V1.PriceUnit.Request, Perspective.Contracts.Events.Registry.V1.ModelStatus.Listed, Start.AddDays(1)));
        await WaitConsumedAsync<ModelRegisteredConsumer>(2);

        Assert.Equal(before, await DaoAsync(model.ModelId));
        Assert.Equal(1, await SubDaoScalarAsync<int>("select count(*)::int from daos"));
    }

    [Fact]
    public async Task A_banned_models_sub_dao_accepts_no_new_proposals_but_its_running_ones_continue()
    {
        var model = await NewModelAsync("BANN");
        var running = await ProposeAsync("carol", model.ModelId, Signal());
        await SendAsync("carol", "dave", "BANN", 10_000);
        await Bus.PublishAsync(new PlatformExecution(Guid.NewGuid().ToString(), 1,
            [new PlatformAction(0, PlatformActionKind.BanModel, model.ModelId, "unsafe")], Start));
        await Eventually.WaitAsync(() => DaoAsync(model.ModelId), dao => !dao.AcceptingProposals, TimeSpan.FromSeconds(20), "the ban reaching the sub-DAO");

        var refused = await RejectedAsync(Client.CreateProposalAsync(Proposal(model.ModelId, Signal()), As("dave"), cancellationToken: Ct));
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("banned", refused.Status.Detail, StringComparison.Ordinal);
        await OpenAsync(running);
        // Its snapshot predates the transfer to dave, so carol votes with the whole supply.
        Assert.Equal(Supply, (await VoteAsync("carol", running.ProposalId, VoteSupport.For)).Vote.Weight);
    }

    [Fact]
    public async Task Platform_parameters_set_new_sub_daos_defaults_and_the_fee_limit_and_an_older_value_never_wins()
    {
        var changed = Start.AddDays(1);
        await Bus.PublishAsync(new PlatformParameterChanged("subdao_default_quorum_bps", "400", "3000", "p-1", changed));
        await Bus.PublishAsync(new PlatformParameterChanged("max_usage_fee_per_unit", "0", "100", "p-2", changed));
        await Bus.PublishAsync(new PlatformParameterChanged("subdao_default_quorum_bps", "400", "1234", "p-0", changed.AddHours(-1)));
        await Bus.PublishAsync(new PlatformParameterChanged("listing_requires_approval", "false", "true", "p-3", changed));
        await WaitConsumedAsync<PlatformParameterConsumer>(4);

        var model = await NewModelAsync("PARM");
        Assert.Equal((3000, 3600L), ((await DaoAsync(model.ModelId)).Settings.QuorumBps, (await DaoAsync(model.ModelId)).Settings.VotingPeriodSeconds));
        var tooHigh = await RejectedAsync(Client.CreateProposalAsync(Proposal(model.ModelId, Fee(101)), As("carol"), cancellationToken: Ct));
        Assert.Equal(StatusCode.InvalidArgument, tooHigh.StatusCode);
        Assert.StartsWith("actions[0].set_usage_fee.amount_per_unit:", tooHigh.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(100, (await ProposeAsync("carol", model.ModelId, Fee(100))).Actions[0].SetUsageFee.AmountPerUnit);
        Assert.Equal(2, await SubDaoScalarAsync<int>("select count(*)::int from platform_parameters"));
    }

    [Fact]
    public async Task A_retried_create_after_the_platform_lowered_the_fee_limit_returns_the_original_proposal()
    {
        var model = await NewModelAsync("RTRY");
        var request = Proposal(model.ModelId, Fee(100));
        var first = await ProposeAsync("carol", request);
        await Bus.PublishAsync(new PlatformParameterChanged("max_usage_fee_per_unit", "0", "50", "p-1", Start.AddDays(1)));
        await WaitConsumedAsync<PlatformParameterConsumer>(1);

        var retry = await ProposeAsync("carol", request);
        Assert.Equal((first.ProposalId, 100L), (retry.ProposalId, retry.Actions[0].SetUsageFee.AmountPerUnit));
        // A new request with the same content is held to the new limit.
        var fresh = await RejectedAsync(Client.CreateProposalAsync(new CreateProposalRequest(request) { RequestId = Guid.NewGuid().ToString() }, As("carol"),
            cancellationToken: Ct));
        Assert.Equal((StatusCode.InvalidArgument, true), (fresh.StatusCode,
            fresh.Status.Detail.StartsWith("actions[0].set_usage_fee.amount_per_unit:", StringComparison.Ordinal)));
        Assert.Equal(1, await SubDaoScalarAsync<int>("select count(*)::int from proposals"));
    }

    [Fact]
    public async Task An_answer_from_a_service_that_does_not_own_the_action_is_ignored()
    {
        var model = await NewModelAsync("OWNR");
        var p = await ProposeAsync("carol", model.ModelId, Spend("dev-1", 10), Fee(30));
        await OpenAsync(p);
        await VoteAsync("carol", p.ProposalId, VoteSupport.For);
        await CloseAsync(p.ProposalId);
        Assert.Equal(ProposalState.Queued, (await ExecuteAsync(p.ProposalId)).State);
        // The registry answers the fee (action 1) itself; the treasury does not exist yet, so action 0 stays open.
        await Eventually.WaitAsync(() => SubDaoScalarAsync<int>("select count(*)::int from proposal_actions"), n => n == 1, TimeSpan.FromSeconds(20),
            "the registry's answer to the fee");

        var now = Clock.GetUtcNow();
        await Bus.PublishAsync(new ProposalActionFailed(p.ProposalId, model.ModelId, 0, "registry", "not the registry's action", now));
        await Bus.PublishAsync(new ProposalActionFailed(p.ProposalId, model.ModelId, 0, "subdao", "not ours either", now));
        await WaitConsumedAsync<ProposalActionFailedConsumer>(2);
        var after = await GetAsync(p.ProposalId);
        Assert.Equal((ProposalState.Queued, ""), (after.State, after.FailureReason));
        Assert.Equal(1, await SubDaoScalarAsync<int>("select count(*)::int from proposal_actions"));

        await Bus.PublishAsync(new ProposalActionExecuted(p.ProposalId, model.ModelId, 0, "treasury", "paid dev-1", now));
        var executed = await WaitStateAsync(p.ProposalId, ProposalState.Executed);
        Assert.Equal("treasury: paid dev-1", await SubDaoScalarAsync<string>("select executed_by || ': ' || detail from proposal_actions where action_index = 0"));
        Assert.Equal("", executed.FailureReason);
    }
}
