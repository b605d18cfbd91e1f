using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Perspective.Contracts.Registry.V1;
using Perspective.Testing;
using EventStatus = Perspective.Contracts.Events.Registry.V1.ModelStatus;
using ModelProviderChanged = Perspective.Contracts.Events.Registry.V1.ModelProviderChanged;
using ModelStatusChanged = Perspective.Contracts.Events.Registry.V1.ModelStatusChanged;

namespace Perspective.ModelRegistry.Tests;

public sealed class ModelTests(TestInfrastructure infrastructure) : RegistryTestBase(infrastructure)
{
    [Fact]
    public async Task ListModels_filters_by_creator_provider_and_status_and_pages_in_creation_order()
    {
        var models = new List<Model>();
        for (var i = 0; i < 5; i++)
        {
            models.Add(await RegisterAsync(NewModel($"M{i}", $"MM{i}", provider: i % 2 == 0 ? "provider-even" : "provider-odd"),
                creator: i < 3 ? "carol" : "dave"));
        }
        await Client.RetireModelAsync(new RetireModelRequest { RequestId = Guid.NewGuid().ToString(), ModelId = models[4].ModelId },
            As("dave"), cancellationToken: Ct);

        var pages = new List<IReadOnlyList<string>>();
        var token = "";
        do
        {
            var page = await Client.ListModelsAsync(new ListModelsRequest { PageSize = 2, PageToken = token }, As("anyone"), cancellationToken: Ct);
            pages.Add(page.Models.Select(m => m.Name).ToList());
            token = page.NextPageToken;
        }
        while (token != "");

        Assert.Equal([["M0", "M1"], ["M2", "M3"], ["M4"]], pages);
        Assert.Equal(["M0", "M1", "M2"], (await AllModelsAsync("carol")).Select(m => m.Name));
        var even = await Client.ListModelsAsync(new ListModelsRequest { ProviderAccount = "provider-even" }, As("anyone"), cancellationToken: Ct);
        Assert.Equal(["M0", "M2", "M4"], even.Models.Select(m => m.Name));
        var delisted = await Client.ListModelsAsync(new ListModelsRequest { Status = ModelStatus.Delisted }, As("anyone"), cancellationToken: Ct);
        Assert.Equal(["M4"], delisted.Models.Select(m => m.Name));
        var listedOfDave = await Client.ListModelsAsync(new ListModelsRequest { Status = ModelStatus.Listed, CreatorAccount = "dave" },
            As("anyone"), cancellationToken: Ct);
        Assert.Equal(["M3"], listedOfDave.Models.Select(m => m.Name));
    }

    [Fact]
    public async Task ListModels_with_a_bad_page_size_or_token_is_invalid_argument()
    {
        var size = await RejectedAsync(Client.ListModelsAsync(new ListModelsRequest { PageSize = -1 }, As("anyone"), cancellationToken: Ct));
        var token = await RejectedAsync(Client.ListModelsAsync(new ListModelsRequest { PageToken = "bm90LWEtbnVtYmVy" }, As("anyone"), cancellationToken: Ct));

        Assert.Equal((StatusCode.InvalidArgument, StatusCode.InvalidArgument), (size.StatusCode, token.StatusCode));
        Assert.StartsWith("page_size:", size.Status.Detail, StringComparison.Ordinal);
        Assert.StartsWith("page_token:", token.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetModel_of_an_unknown_id_is_not_found_and_of_a_malformed_id_invalid_argument()
    {
        var unknown = await RejectedAsync(Client.GetModelAsync(new GetModelRequest { ModelId = Guid.NewGuid().ToString() }, As("x"), cancellationToken: Ct));
        var malformed = await RejectedAsync(Client.GetModelAsync(new GetModelRequest { ModelId = "m-1" }, As("x"), cancellationToken: Ct));
        var history = await RejectedAsync(Client.GetModelHistoryAsync(new GetModelHistoryRequest { ModelId = Guid.NewGuid().ToString() }, As("x"), cancellationToken: Ct));

        Assert.Equal((StatusCode.NotFound, StatusCode.InvalidArgument, StatusCode.NotFound), (unknown.StatusCode, malformed.StatusCode, history.StatusCode));
        Assert.StartsWith("model_id:", malformed.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateModelMetadata_by_the_creator_changes_description_and_provider_records_it_and_announces_the_provider()
    {
        var providers = await Bus.ObserveAsync<ModelProviderChanged>();
        var model = await RegisterAsync(NewModel("Muse", "MUSE"), creator: "carol");
        Clock.Advance(TimeSpan.FromHours(1));
        var request = new UpdateModelMetadataRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ModelId = model.ModelId,
            Description = "now multilingual",
            ProviderAccount = "provider-2",
        };

        var updated = (await Client.UpdateModelMetadataAsync(request, As("carol"), cancellationToken: Ct)).Model;
        Clock.Advance(TimeSpan.FromHours(1));
        var replay = (await Client.UpdateModelMetadataAsync(request, As("carol"), cancellationToken: Ct)).Model;

        Assert.Equal(("now multilingual", "provider-2", 2L), (updated.Description, updated.ProviderAccount, updated.Version));
        Assert.Equal(Timestamp.FromDateTimeOffset(Start.AddHours(1)), updated.UpdatedAt);
        Assert.Equal(updated, replay);
        Assert.Equal(updated, await GetAsync(model.ModelId));
        var entry = (await HistoryAsync(model.ModelId))[1];
        Assert.Equal((2L, ModelChangeKind.MetadataUpdated, ModelChangeSource.Creator, "carol"), (entry.Version, entry.Kind, entry.Source, entry.ActorAccount));
        Assert.Contains("provider_account provider-1 → provider-2", entry.Reason, StringComparison.Ordinal);
        var published = await providers.WaitForAsync(e => e.ModelId == model.ModelId);
        Assert.Equal(new ModelProviderChanged(model.ModelId, "provider-1", "provider-2", 2, Start.AddHours(1)), published);
        Assert.Equal(1, await OutboxCountAsync<ModelProviderChanged>());
    }

    [Fact]
    public async Task UpdateModelMetadata_of_only_the_description_leaves_the_provider_and_publishes_no_provider_change()
    {
        var model = await RegisterAsync(NewModel("Quill", "QUIL"), creator: "carol");

        var updated = (await Client.UpdateModelMetadataAsync(new UpdateModelMetadataRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ModelId = model.ModelId,
            Description = "",
        }, As("carol"), cancellationToken: Ct)).Model;

        Assert.Equal(("", "provider-1"), (updated.Description, updated.ProviderAccount));
        Assert.Equal(0, await OutboxCountAsync<ModelProviderChanged>());
    }

    [Fact]
    public async Task UpdateModelMetadata_refusals_change_nothing()
    {
        var model = await RegisterAsync(NewModel("Vault", "VLT"), creator: "carol");
        UpdateModelMetadataRequest Update(Action<UpdateModelMetadataRequest> set)
        {
            var request = new UpdateModelMetadataRequest { RequestId = Guid.NewGuid().ToString(), ModelId = model.ModelId };
            set(request);
            return request;
        }
        var reused = Update(r => r.Description = "first");
        await Client.UpdateModelMetadataAsync(reused, As("carol"), cancellationToken: Ct);
        var afterFirst = await GetAsync(model.ModelId);

        var notCreator = await RejectedAsync(Client.UpdateModelMetadataAsync(Update(r => r.ProviderAccount = "mallory"), As("mallory"), cancellationToken: Ct));
        var nothing = await RejectedAsync(Client.UpdateModelMetadataAsync(Update(_ => { }), As("carol"), cancellationToken: Ct));
        var tooLong = await RejectedAsync(Client.UpdateModelMetadataAsync(Update(r => r.Description = new string('x', 4_001)), As("carol"), cancellationToken: Ct));
        var emptyProvider = await RejectedAsync(Client.UpdateModelMetadataAsync(Update(r => r.ProviderAccount = ""), As("carol"), cancellationToken: Ct));
        var otherContent = reused.Clone();
        otherContent.Description = "second";
        var reuse = await RejectedAsync(Client.UpdateModelMetadataAsync(otherContent, As("carol"), cancellationToken: Ct));
        var unknown = await RejectedAsync(Client.UpdateModelMetadataAsync(Update(r => { r.ModelId = Guid.NewGuid().ToString(); r.Description = "x"; }),
            As("carol"), cancellationToken: Ct));

        Assert.Equal(StatusCode.PermissionDenied, notCreator.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, nothing.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, tooLong.StatusCode);
        Assert.StartsWith("description:", tooLong.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, emptyProvider.StatusCode);
        Assert.StartsWith("provider_account:", emptyProvider.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.AlreadyExists, reuse.StatusCode);
        Assert.StartsWith("request_id:", reuse.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(afterFirst, await GetAsync(model.ModelId));
        Assert.Equal(2, (await HistoryAsync(model.ModelId)).Count);
    }

    [Fact]
    public async Task RetireModel_by_the_creator_delists_records_and_publishes_and_a_second_retirement_is_refused()
    {
        var statuses = await Bus.ObserveAsync<ModelStatusChanged>();
        var model = await RegisterAsync(NewModel("Dusk", "DUSK"), creator: "carol");
        Clock.Advance(TimeSpan.FromDays(1));
        var request = new RetireModelRequest { RequestId = Guid.NewGuid().ToString(), ModelId = model.ModelId, Reason = "superseded" };

        var notCreator = await RejectedAsync(Client.RetireModelAsync(new RetireModelRequest { RequestId = Guid.NewGuid().ToString(), ModelId = model.ModelId },
            As("mallory"), cancellationToken: Ct));
        var retired = (await Client.RetireModelAsync(request, As("carol"), cancellationToken: Ct)).Model;
        var replay = (await Client.RetireModelAsync(request, As("carol"), cancellationToken: Ct)).Model;
        var again = await RejectedAsync(Client.RetireModelAsync(new RetireModelRequest { RequestId = Guid.NewGuid().ToString(), ModelId = model.ModelId },
            As("carol"), cancellationToken: Ct));

        Assert.Equal(StatusCode.PermissionDenied, notCreator.StatusCode);
        Assert.Equal((ModelStatus.Delisted, 2L), (retired.Status, retired.Version));
        Assert.Equal(retired, replay);
        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
        var published = await statuses.WaitForAsync(e => e.ModelId == model.ModelId);
        Assert.Equal(new ModelStatusChanged(model.ModelId, EventStatus.Listed, EventStatus.Delisted, null, "superseded", Start.AddDays(1)), published);
        Assert.Equal(1, await OutboxCountAsync<ModelStatusChanged>());
        var entry = (await HistoryAsync(model.ModelId))[1];
        Assert.Equal((ModelChangeKind.StatusChanged, ModelChangeSource.Creator, "carol", "", ModelStatus.Listed, ModelStatus.Delisted, "superseded"),
            (entry.Kind, entry.Source, entry.ActorAccount, entry.ProposalId, entry.OldStatus, entry.NewStatus, entry.Reason));
        Assert.Equal(Timestamp.FromDateTimeOffset(Start.AddDays(1)), entry.ChangedAt);
    }

    [Fact]
    public async Task GetModelHistory_pages_by_version()
    {
        var model = await RegisterAsync(NewModel("Pager", "PAGR"), creator: "carol");
        for (var i = 0; i < 4; i++)
        {
            await Client.UpdateModelMetadataAsync(new UpdateModelMetadataRequest
            {
                RequestId = Guid.NewGuid().ToString(),
                ModelId = model.ModelId,
                Description = $"v{i}",
            }, As("carol"), cancellationToken: Ct);
        }

        var first = await Client.GetModelHistoryAsync(new GetModelHistoryRequest { ModelId = model.ModelId, PageSize = 3 }, As("x"), cancellationToken: Ct);
        var second = await Client.GetModelHistoryAsync(new GetModelHistoryRequest { ModelId = model.ModelId, PageSize = 3, PageToken = first.NextPageToken },
            As("x"), cancellationToken: Ct);

        Assert.Equal([1L, 2L, 3L], first.Entries.Select(e => e.Version));
        Assert.Equal([4L, 5L], second.Entries.Select(e => e.Version));
        Assert.Equal("", second.NextPageToken);
        Assert.Equal(5, (await GetAsync(model.ModelId)).Version);
    }
}
