using MassTransit;
using Npgsql;
using Perspective.Contracts.Events.Platform.V1;
using Perspective.ModelRegistry.Data;
using Perspective.ServiceDefaults.Messaging;

namespace Perspective.ModelRegistry.Events;

/// <summary>
/// Keeps the platform parameters the registry obeys (<c>listing_requires_approval</c>). Other keys are not the
/// registry's and are ignored; a value that is not a boolean is ignored too (logged), so configuration keeps ruling.
/// </summary>
public sealed partial class PlatformParameterConsumer(NpgsqlDataSource dataSource, TimeProvider time, GovernanceStore governance,
    ILogger<PlatformParameterConsumer> logger) : InboxConsumer<PlatformParameterChanged>(dataSource, time)
{
    protected override async Task HandleAsync(PlatformParameterChanged message, NpgsqlTransaction transaction,
        ConsumeContext<PlatformParameterChanged> context)
    {
        if (message.Key != ListingPolicy.Parameter)
        {
            return;
        }
        if (!bool.TryParse(message.NewValue, out var value))
        {
            LogIgnored(logger, message.Key, message.NewValue, message.ProposalId);
            return;
        }
        await governance.SetParameterAsync(transaction, message.Key, value ? "true" : "false", message.ProposalId, message.OccurredAt,
            context.CancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Platform parameter {Key} = {Value} (proposal {ProposalId}) is not a boolean; ignored")]
    private static partial void LogIgnored(ILogger logger, string key, string value, string proposalId);
}
