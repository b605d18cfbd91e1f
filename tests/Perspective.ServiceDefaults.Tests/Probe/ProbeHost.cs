using Dapper;
using Grpc.Core;
using MassTransit;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Perspective.Contracts.Events;
using Perspective.ServiceDefaults.Auth;
using Perspective.ServiceDefaults.Errors;
using Perspective.ServiceDefaults.Messaging;

namespace Perspective.ServiceDefaults.Tests.Probe;

/// <summary>A minimal service built exactly like the six: AddServiceDefaults, MapServiceDefaults, one API.</summary>
public static class ProbeHost
{
    public static readonly ServiceInfo Service = new("probe", typeof(ProbeHost).Assembly);

    /// <summary>The probe's lines of the access table: any known role, except ServiceOnly (ActForAccount checks its account in the handler).</summary>
    public static IEnumerable<AccessRule> AccessRules =>
        ProbeService.Descriptor.Methods.Select(m => AccessTable.Rule(ProbeService.Descriptor, m.Name, m.Name == "ServiceOnly" ? (IReadOnlyList<string>)[Roles.Service] : Roles.All));

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults(Service);
        builder.Services.AddSingleton(AccessTable.Platform.With(AccessRules));
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapGrpcService<ProbeApi>();
        return app;
    }
}

public sealed record NoteRecorded(string NoteId, string Text, DateTimeOffset OccurredAt) : IIntegrationEvent
{
    public string EntityId => NoteId;
}

[Authorize(Policy = AuthPolicies.KnownRole)]
public sealed class ProbeApi(NpgsqlDataSource dataSource, IOutbox outbox, TimeProvider time) : ProbeService.ProbeServiceBase
{
    public override Task<WhoamiResponse> Whoami(WhoamiRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        return Task.FromResult(new WhoamiResponse { Account = caller.Account, Roles = { caller.Roles.Order(StringComparer.Ordinal) } });
    }

    public override Task<ServiceOnlyResponse> ServiceOnly(ServiceOnlyRequest request, ServerCallContext context) =>
        Task.FromResult(new ServiceOnlyResponse());

    public override Task<ActForAccountResponse> ActForAccount(ActForAccountRequest request, ServerCallContext context)
    {
        context.Caller().RequireAccountOrRole(request.Account, Roles.Service);
        return Task.FromResult(new ActForAccountResponse());
    }

    public override Task<FailResponse> Fail(FailRequest request, ServerCallContext context) =>
        throw new InvalidOperationException($"connection string with password {request.Secret}");

    public override Task<RejectResponse> Reject(RejectRequest request, ServerCallContext context) =>
        throw new DomainException(Enum.Parse<DomainErrorKind>(request.Kind), request.Message);

    public override async Task<RecordNoteResponse> RecordNote(RecordNoteRequest request, ServerCallContext context)
    {
        await using var connection = await dataSource.OpenConnectionAsync(context.CancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(context.CancellationToken);
        await connection.ExecuteAsync("insert into notes (note_id, text) values (@NoteId, @Text)", new { request.NoteId, request.Text }, transaction);
        await outbox.EnqueueAsync(transaction, new NoteRecorded(request.NoteId, request.Text, time.GetUtcNow()), context.CancellationToken);
        if (request.RollBack)
        {
            throw DomainException.FailedPrecondition("roll_back: the probe was asked to abort after writing");
        }
        await transaction.CommitAsync(context.CancellationToken);
        return new RecordNoteResponse();
    }
}

/// <summary>Applies each NoteRecorded once, however often it is delivered.</summary>
public sealed class NoteRecordedConsumer(NpgsqlDataSource dataSource, TimeProvider time) : InboxConsumer<NoteRecorded>(dataSource, time)
{
    protected override Task HandleAsync(NoteRecorded message, NpgsqlTransaction transaction, ConsumeContext<NoteRecorded> context) =>
        transaction.Connection!.ExecuteAsync("insert into note_effects (note_id) values (@NoteId)", new { message.NoteId }, transaction);
}
