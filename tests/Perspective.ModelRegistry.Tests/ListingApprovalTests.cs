using Perspective.Contracts.Events.Governance.V1;
using Perspective.Contracts.Events.Platform.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.ModelRegistry.Events;
using Perspective.Testing;
using EventStatus = Perspective.Contracts.Events.Registry.V1.ModelStatus;
using ModelRegistered = Perspective.Contracts.Events.Registry.V1.ModelRegistered;

namespace Perspective.ModelRegistry.Tests;

/// <summary>With Registry:ListingRequiresApproval on, a model waits for a platform ListModel decision.</summary>
public sealed class ListingApprovalTests(TestInfrastructure infrastructure) : RegistryTestBase(infrastructure)
{
    protected override Dictionary<string, string?> RegistrySettings => new() { ["Registry:ListingRequiresApproval"] = "true" };

    [Fact]
    public async Task A_model_registered_while_approval_is_required_is_pending_until_a_platform_listing()
    {
        var registered = await Bus.ObserveAsync<ModelRegistered>();
        var executed = await Bus.ObserveAsync<ProposalActionExecuted>();
        var model = await RegisterAsync(NewModel("Waiting", "WAIT", supply: 300));

        Assert.Equal(ModelStatus.PendingListing, model.Status);
        Assert.Equal(300, await LedgerBalanceAsync("carol", "WAIT"));
        Assert.Equal(EventStatus.PendingListing, (await registered.WaitForAsync(e => e.ModelId == model.ModelId)).Status);

        await Bus.PublishAsync(new ProposalExecutionRequested("p-approve", 9, [new PlatformAction(0, PlatformActionKind.ListModel, model.ModelId)], Start));
        await executed.WaitForAsync(e => e.ProposalId == "p-approve");

        Assert.Equal(ModelStatus.Listed, (await GetAsync(model.ModelId)).Status);
        var entry = (await HistoryAsync(model.ModelId))[1];
        Assert.Equal((ModelStatus.PendingListing, ModelStatus.Listed, "p-approve"), (entry.OldStatus, entry.NewStatus, entry.ProposalId));
    }

    [Fact]
    public async Task The_platform_parameter_overrides_configuration_and_an_older_change_does_not_undo_a_newer_one()
    {
        await Bus.PublishAsync(new PlatformParameterChanged("listing_requires_approval", "true", "false", "p-open", Start.AddHours(2)));
        await Bus.PublishAsync(new PlatformParameterChanged("listing_requires_approval", null, "true", "p-old", Start.AddHours(1)));
        await Bus.PublishAsync(new PlatformParameterChanged("quorum_bps", null, "400", "p-other", Start.AddHours(3)));
        await WaitConsumedAsync<PlatformParameterConsumer>(3);

        var model = await RegisterAsync(NewModel("Open", "OPEN"));

        Assert.Equal(ModelStatus.Listed, model.Status);
        Assert.Equal("false", await RegistryScalarAsync<string>("select value from platform_parameters where key = 'listing_requires_approval'"));
        Assert.Equal(1, await RegistryScalarAsync<int>("select count(*)::int from platform_parameters"));
    }
}
