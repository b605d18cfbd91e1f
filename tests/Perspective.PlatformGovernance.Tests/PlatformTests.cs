using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.Platform.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.Testing;
using EventKind = Perspective.Contracts.Events.Platform.V1.PlatformActionKind;
using ExecutionRequested = Perspective.Contracts.Events.Platform.V1.ProposalExecutionRequested;
using ParameterChanged = Perspective.Contracts.Events.Platform.V1.PlatformParameterChanged;

namespace Perspective.PlatformGovernance.Tests;

/// <summary>The platform DAO's actions from proposal to effect: parameters, standards, model listing through the registry.</summary>
public sealed class PlatformTests(TestInfrastructure infrastructure) : PlatformTestBase(infrastructure)
{
    private static PublishStandardAction Standard(string title, string version, string text) => new()
    {
        Title = title,
        Version = version,
        Text = text,
        TextDigest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))),
    };

    [Fact]
    public async Task The_platform_dao_exists_from_the_first_start_with_pov_and_its_configured_settings()
    {
        var dao = (await Client.GetDaoAsync(new GetDaoRequest(), As("anyone"), cancellationToken: Ct)).Dao;
        Assert.Equal(("POV", 60L, 3600L, 2000, 1000L), (dao.VotingAsset, dao.Settings.VotingDelaySeconds, dao.Settings.VotingPeriodSeconds,
            dao.Settings.QuorumBps, dao.Settings.ProposalThreshold));
        Assert.Equal(Start, Time(dao.CreatedAt));
    }

    [Fact]
    public async Task A_passed_listing_parameter_is_set_published_and_applied_by_the_registry()
    {
        var changes = await Bus.ObserveAsync<ParameterChanged>();
        var p = await PassAndRequestAsync(SetParameter("listing_requires_approval", new ParameterValue { BoolValue = true }));
        Assert.Equal(ProposalState.Executed, p.State);

        var change = await changes.WaitForAsync(e => e.ProposalId == p.ProposalId);
        Assert.Equal(("listing_requires_approval", "false", "true"), (change.Key, change.OldValue, change.NewValue));
        var parameter = (await Client.GetParameterAsync(new GetParameterRequest { Key = "listing_requires_approval" }, As("anyone"), cancellationToken: Ct)).Parameter;
        Assert.Equal((true, false, p.ProposalId, ParameterType.Bool), (parameter.Value.BoolValue, parameter.DefaultValue.BoolValue,
            parameter.UpdatedByProposalId, parameter.Type));

        await Eventually.WaitAsync(() => ScalarAsync<int>(Registry, "select count(*)::int from inbox_messages where consumer like '%PlatformParameterConsumer'"),
            n => n >= 1, TimeSpan.FromSeconds(20), "the registry taking the parameter");
        Assert.Equal(ModelStatus.PendingListing, (await NewModelAsync("WAIT")).Status);
    }

    [Fact]
    public async Task With_approval_required_a_passed_listing_lists_the_model_and_a_passed_ban_bans_it_for_good()
    {
        var approval = await PassAndRequestAsync(SetParameter("listing_requires_approval", new ParameterValue { BoolValue = true }),
            new PlatformAction { Signal = new SignalAction() });
        Assert.Equal(ProposalState.Executed, approval.State);
        await Eventually.WaitAsync(() => ScalarAsync<int>(Registry, "select count(*)::int from inbox_messages where consumer like '%PlatformParameterConsumer'"),
            n => n >= 1, TimeSpan.FromSeconds(20), "the registry taking the parameter");
        var model = await NewModelAsync("APPR");
        Assert.Equal(ModelStatus.PendingListing, model.Status);

        var list = await PassAndRequestAsync(new PlatformAction { ListModel = new ListModelAction { ModelId = model.ModelId } });
        await WaitStateAsync(list.ProposalId, ProposalState.Executed);
        Assert.Equal(ModelStatus.Listed, (await ModelAsync(model.ModelId)).Status);

        var ban = await PassAndRequestAsync(new PlatformAction { BanModel = new BanModelAction { ModelId = model.ModelId, Reason = "fraud" } });
        await WaitStateAsync(ban.ProposalId, ProposalState.Executed);
        Assert.Equal(ModelStatus.Banned, (await ModelAsync(model.ModelId)).Status);
    }

    [Fact]
    public async Task A_passed_standard_is_published_and_a_second_with_the_same_title_and_version_fails_at_execution()
    {
        var p = await PassAndRequestAsync(new PlatformAction { PublishStandard = Standard("Model safety", "1.0.0", "Models must log refusals.") });
        Assert.Equal(ProposalState.Executed, p.State);
        var listed = (await Client.ListStandardsAsync(new ListStandardsRequest(), As("anyone"), cancellationToken: Ct)).Standards.Single();
        Assert.Equal(("Model safety", "1.0.0", "", p.ProposalId), (listed.Title, listed.Version, listed.Text, listed.ProposalId));
        var standard = (await Client.GetStandardAsync(new GetStandardRequest { StandardId = listed.StandardId }, As("anyone"), cancellationToken: Ct)).Standard;
        Assert.Equal(("Models must log refusals.", Standard("x", "y", "Models must log refusals.").TextDigest), (standard.Text, standard.TextDigest));

        var again = await PassAndRequestAsync(new PlatformAction { PublishStandard = Standard("Model safety", "1.0.0", "Another text.") });
        Assert.Equal(ProposalState.ExecutionFailed, again.State);
        Assert.Equal("actions[0] (platform): standard \"Model safety\" version 1.0.0 is already published", again.FailureReason);
        Assert.Single((await Client.ListStandardsAsync(new ListStandardsRequest { Title = "Model safety" }, As("anyone"), cancellationToken: Ct)).Standards);
    }

    [Fact]
    public async Task A_passed_delisting_is_carried_out_by_the_registry_and_an_impossible_reinstatement_ends_execution_failed()
    {
        var requested = await Bus.ObserveAsync<ExecutionRequested>();
        var rogue = await NewModelAsync("ROGU");
        var fine = await NewModelAsync("FINE");
        var p = await PassAndRequestAsync(new PlatformAction { DelistModel = new DelistModelAction { ModelId = rogue.ModelId, Reason = "breaks standard 1" } });
        var request = await requested.WaitForAsync(e => e.ProposalId == p.ProposalId);
        Assert.Equal((EventKind.DelistModel, rogue.ModelId, "breaks standard 1"), (request.Actions[0].Kind, request.Actions[0].ModelId, request.Actions[0].Reason));

        await WaitStateAsync(p.ProposalId, ProposalState.Executed);
        Assert.Equal(ModelStatus.Delisted, (await ModelAsync(rogue.ModelId)).Status);

        var reinstate = await PassAndRequestAsync(new PlatformAction { ReinstateModel = new ReinstateModelAction { ModelId = fine.ModelId } });
        var failed = await WaitStateAsync(reinstate.ProposalId, ProposalState.ExecutionFailed);
        Assert.StartsWith("actions[0] (registry): ", failed.FailureReason, StringComparison.Ordinal);
        Assert.Contains("only a delisted model can be reinstated", failed.FailureReason, StringComparison.Ordinal);
        Assert.Equal(ModelStatus.Listed, (await ModelAsync(fine.ModelId)).Status);
    }

    [Fact]
    public async Task A_platform_settings_parameter_changes_the_settings_of_new_proposals_only()
    {
        var p = await ProposeAsync("alice", SetParameter("platform_quorum_bps", new ParameterValue { Int64Value = 7000 }));
        await AtAsync(Time(p.Timeline.VotingStartsAt));
        await VoteAsync("alice", p.ProposalId, VoteSupport.For);
        await AtAsync(Time(p.Timeline.VotingEndsAt));
        await StepAsync();
        var queued = await GetAsync(p.ProposalId);
        Assert.Equal(ProposalState.Queued, queued.State);

        // Created under the old settings, before the change is carried out.
        var running = await ProposeAsync("bob", new PlatformAction { Signal = new SignalAction() });
        await AtAsync(Time(queued.Timeline.ExecutableAt));
        Assert.Equal(ProposalState.Executed, (await GetAsync(p.ProposalId)).State);
        Assert.Equal(7000, (await Client.GetDaoAsync(new GetDaoRequest(), As("anyone"), cancellationToken: Ct)).Dao.Settings.QuorumBps);
        Assert.Equal(ProposalState.Active, (await GetAsync(running.ProposalId)).State);

        // bob's 30 % meets the 20 % his proposal froze, not the 70 % in force now.
        await VoteAsync("bob", running.ProposalId, VoteSupport.For);
        Assert.Equal(ProposalState.Succeeded, await DecideAsync(running));
        var decided = await GetAsync(running.ProposalId);
        Assert.Equal((2000, 200_000L), (decided.Settings.QuorumBps, decided.Tally.QuorumWeight));
        await StepAsync();
        Assert.Equal(7000, (await ProposeAsync("bob", new PlatformAction { Signal = new SignalAction() })).Settings.QuorumBps);
    }

    [Fact]
    public async Task A_settings_parameter_that_would_make_its_set_inconsistent_fails_at_execution_and_changes_nothing()
    {
        var inconsistent = await PassAndRequestAsync(SetParameter("subdao_default_late_quorum_extension_seconds",
            new ParameterValue { Int64Value = 432_000 }));
        Assert.Equal(ProposalState.ExecutionFailed, inconsistent.State);
        Assert.Contains("late_quorum_extension_seconds", inconsistent.FailureReason, StringComparison.Ordinal);
        var parameter = (await Client.GetParameterAsync(new GetParameterRequest { Key = "subdao_default_late_quorum_extension_seconds" }, As("anyone"),
            cancellationToken: Ct)).Parameter;
        Assert.Equal((0L, ""), (parameter.Value.Int64Value, parameter.UpdatedByProposalId));
    }

    private async Task<ProposalState> DecideAsync(PlatformProposal p)
    {
        await AtAsync(Time(p.Timeline.VotingEndsAt));
        return (await GetAsync(p.ProposalId)).State;
    }

    [Fact]
    public async Task Unknown_parameters_wrong_types_bad_digests_and_bad_model_ids_are_refused_at_proposal_time_and_change_nothing()
    {
        var bad = Standard("T", "1", "text");
        bad.TextDigest = new string('0', 64);
        var cases = new (PlatformAction Action, string Field)[]
        {
            (SetParameter("no_such_key", new ParameterValue { BoolValue = true }), "actions[0].set_parameter.key:"),
            (SetParameter("listing_requires_approval", new ParameterValue { Int64Value = 1 }), "actions[0].set_parameter.value:"),
            (SetParameter("max_usage_fee_per_unit", new ParameterValue { StringValue = "5" }), "actions[0].set_parameter.value:"),
            (SetParameter("max_usage_fee_per_unit", new ParameterValue { Int64Value = -1 }), "actions[0].set_parameter.value:"),
            (SetParameter("subdao_default_quorum_bps", new ParameterValue { Int64Value = 10_001 }), "actions[0].set_parameter.value:"),
            (SetParameter("platform_voting_period_seconds", new ParameterValue()), "actions[0].set_parameter.value:"),
            (new PlatformAction { PublishStandard = bad }, "actions[0].publish_standard.text_digest:"),
            (new PlatformAction { PublishStandard = Standard("", "1", "t") }, "actions[0].publish_standard.title:"),
            (new PlatformAction { PublishStandard = Standard("T", "", "t") }, "actions[0].publish_standard.version:"),
            (new PlatformAction { PublishStandard = Standard("T", "1", "") }, "actions[0].publish_standard.text:"),
            (new PlatformAction { BanModel = new BanModelAction { ModelId = "", Reason = "r" } }, "actions[0].ban_model.model_id:"),
            (new PlatformAction { BanModel = new BanModelAction { ModelId = Guid.NewGuid().ToString(), Reason = "" } }, "actions[0].ban_model.reason:"),
            (new PlatformAction { ListModel = new ListModelAction { ModelId = "m-1" } }, "actions[0].list_model.model_id:"),
            (new PlatformAction(), "actions[0]:"),
            (new PlatformAction { PublishStandard = Standard("T\0", "1", "t") }, "actions[0].publish_standard.title:"),
            (new PlatformAction { PublishStandard = Standard("T", "1\n", "t") }, "actions[0].publish_standard.version:"),
            (new PlatformAction { PublishStandard = Standard("T", "1", "nul\0") }, "actions[0].publish_standard.text:"),
            (new PlatformAction { BanModel = new BanModelAction { ModelId = Guid.NewGuid().ToString(), Reason = "r\u0000" } }, "actions[0].ban_model.reason:"),
            (new PlatformAction { DelistModel = new DelistModelAction { ModelId = Guid.NewGuid().ToString(), Reason = "\u001f" } },
                "actions[0].delist_model.reason:"),
        };
        foreach (var (action, field) in cases)
        {
            var error = await RejectedAsync(Client.CreateProposalAsync(Proposal(action), As("alice"), cancellationToken: Ct));
            Assert.True(error.StatusCode == StatusCode.InvalidArgument && error.Status.Detail.StartsWith(field, StringComparison.Ordinal),
                $"{field}: {error.StatusCode} {error.Status.Detail}");
        }
        var texts = new (CreateProposalRequest Request, string Field)[]
        {
            (new CreateProposalRequest(Proposal(new PlatformAction { Signal = new SignalAction() })) { Title = "sig\0nal" }, "title:"),
            (new CreateProposalRequest(Proposal(new PlatformAction { Signal = new SignalAction() })) { Description = "\0" }, "description:"),
            (Proposal(SetParameter("max_usage_fee_per_unit", new ParameterValue { Int64Value = 5 }),
                SetParameter("max_usage_fee_per_unit", new ParameterValue { Int64Value = 6 })), "actions[1].set_parameter.key:"),
        };
        foreach (var (request, field) in texts)
        {
            var error = await RejectedAsync(Client.CreateProposalAsync(request, As("alice"), cancellationToken: Ct));
            Assert.True(error.StatusCode == StatusCode.InvalidArgument && error.Status.Detail.StartsWith(field, StringComparison.Ordinal),
                $"{field}: {error.StatusCode} {error.Status.Detail}");
        }
        var title = await RejectedAsync(Client.ListStandardsAsync(new ListStandardsRequest { Title = "\0" }, As("anyone"), cancellationToken: Ct));
        Assert.Equal((StatusCode.InvalidArgument, true), (title.StatusCode, title.Status.Detail.StartsWith("title:", StringComparison.Ordinal)));
        Assert.Equal(0, await ScalarAsync<int>(Platform, "select count(*)::int from proposals"));
        Assert.Equal(0, await ScalarAsync<int>(Platform, "select count(*)::int from requests"));
        var unknown = await RejectedAsync(Client.GetParameterAsync(new GetParameterRequest { Key = "no_such_key" }, As("anyone"), cancellationToken: Ct));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task The_parameter_set_is_listed_by_key_with_types_and_defaults()
    {
        var page = await Client.ListParametersAsync(new ListParametersRequest { PageSize = 10 }, As("anyone"), cancellationToken: Ct);
        var rest = await Client.ListParametersAsync(new ListParametersRequest { PageToken = page.NextPageToken }, As("anyone"), cancellationToken: Ct);
        var keys = page.Parameters.Concat(rest.Parameters).Select(p => p.Key).ToList();
        Assert.Equal(18, keys.Count);
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
        Assert.Contains("listing_requires_approval", keys);
        Assert.Contains("max_usage_fee_per_unit", keys);
        Assert.Contains("subdao_default_quorum_bps", keys);
        var quorum = page.Parameters.Concat(rest.Parameters).Single(p => p.Key == "platform_quorum_bps");
        Assert.Equal((ParameterType.Int64, 2000L), (quorum.Type, quorum.Value.Int64Value));
        Assert.Equal("", rest.NextPageToken);
    }

    [Fact]
    public async Task Two_proposals_setting_one_key_in_the_same_pass_announce_increasing_times_so_the_registry_keeps_the_platforms_value()
    {
        var first = await ProposeAsync("alice", SetParameter("listing_requires_approval", new ParameterValue { BoolValue = true }));
        var second = await ProposeAsync("bob", SetParameter("listing_requires_approval", new ParameterValue { BoolValue = false }));
        await AtAsync(Time(first.Timeline.VotingStartsAt));
        await VoteAsync("alice", first.ProposalId, VoteSupport.For);
        await VoteAsync("bob", second.ProposalId, VoteSupport.For);
        await AtAsync(Time(first.Timeline.VotingEndsAt));
        await StepAsync();
        var queued = await GetAsync(second.ProposalId);
        Assert.Equal((ProposalState.Queued, ProposalState.Queued), ((await GetAsync(first.ProposalId)).State, queued.State));
        // One pass executes both, the first-created first (the order of the claim), so the second's value is the platform's.
        Assert.Equal(2, await AtAsync(Time(queued.Timeline.ExecutableAt)));
        var parameter = (await Client.GetParameterAsync(new GetParameterRequest { Key = "listing_requires_approval" }, As("anyone"), cancellationToken: Ct)).Parameter;
        Assert.Equal((false, second.ProposalId), (parameter.Value.BoolValue, parameter.UpdatedByProposalId));

        var announced = new List<(string ProposalId, DateTimeOffset At)>();
        await using (var db = new Npgsql.NpgsqlConnection(Platform.DatabaseConnectionString))
        {
            foreach (var payload in await Dapper.SqlMapper.QueryAsync<string>(db,
                         "select payload::text from outbox_messages where message_type like '%PlatformParameterChanged' order by position"))
            {
                using var json = System.Text.Json.JsonDocument.Parse(payload);
                var fields = json.RootElement.EnumerateObject().ToDictionary(f => f.Name, f => f.Value, StringComparer.OrdinalIgnoreCase);
                announced.Add((fields["proposalId"].GetString()!, fields["occurredAt"].GetDateTimeOffset()));
            }
        }
        Assert.Equal([first.ProposalId, second.ProposalId], announced.Select(a => a.ProposalId));
        Assert.True(announced[1].At > announced[0].At, $"{announced[0].At:O} then {announced[1].At:O}");
        Assert.Equal(announced[1].At, Time(parameter.UpdatedAt));

        // Whatever order the registry receives them in, the later time is the platform's value: no approval needed.
        await Eventually.WaitAsync(() => ScalarAsync<int>(Registry, "select count(*)::int from inbox_messages where consumer like '%PlatformParameterConsumer'"),
            n => n >= 2, TimeSpan.FromSeconds(20), "the registry taking both changes");
        Assert.Equal("false", await ScalarAsync<string>(Registry, "select value from platform_parameters where key = 'listing_requires_approval'"));
    }
}
