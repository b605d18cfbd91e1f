using MassTransit;
using Npgsql;
using Perspective.Contracts.Events.Gateway.V1;
using Perspective.ServiceDefaults.Messaging;
using Perspective.Treasury.Data;

namespace Perspective.Treasury.Events;

/// <summary>
/// A use of a model was paid: count it into the model's revenue of that UTC day. The inbox drops a redelivered message;
/// the payment id drops the same payment published again under another message id.
/// </summary>
public sealed class UsagePaidConsumer(NpgsqlDataSource dataSource, TimeProvider time, TreasuryStore store, TreasuryMetrics metrics)
    : InboxConsumer<UsagePaid>(dataSource, time)
{
    private readonly TimeProvider clock = time;

    protected override async Task HandleAsync(UsagePaid message, NpgsqlTransaction transaction, ConsumeContext<UsagePaid> context)
    {
        if (message.AmountBaseUnits < 0)
        {
            throw new InvalidOperationException($"UsagePaid {message.PaymentId} has a negative amount {message.AmountBaseUnits}");
        }
        if (await store.CountPaymentAsync(transaction, Guid.ParseExact(message.ModelId, "D"), message, clock.GetUtcNow(), context.CancellationToken))
        {
            metrics.Counted(message.AmountBaseUnits);
        }
    }
}
