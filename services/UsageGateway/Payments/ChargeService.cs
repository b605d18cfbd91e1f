using Google.Protobuf;
using Grpc.Core;
using Perspective.Contracts.Events.Gateway.V1;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.ServiceDefaults.Auth;
using Perspective.ServiceDefaults.Errors;
using Perspective.ServiceDefaults.Messaging;
using Perspective.UsageGateway.Api;
using Perspective.UsageGateway.Data;
using Perspective.UsageGateway.Domain;
using Perspective.UsageGateway.Models;
using ModelStatus = Perspective.Contracts.Events.Registry.V1.ModelStatus;
using PaymentKind = Perspective.UsageGateway.Domain.PaymentKind;

namespace Perspective.UsageGateway.Payments;

/// <summary>
/// ChargeUsage in three steps, each safe to repeat:
/// (1) one transaction inserts the payment 'pending' (unique by request id) and reserves its amount on the allowance;
/// (2) one Ledger transfer payer → treasury with an id derived from the request id (the Ledger replays a known id);
/// (3) one transaction marks the payment paid, turns the reservation into spending and writes UsagePaid to the outbox.
/// New charges go through <see cref="ChargeBatcher"/>, which takes these steps for many charges at once. What a batch
/// cannot finish in the common way (a retry of a stored request, a payer the Ledger refuses, a copy racing it) is finished
/// here one charge at a time: a retry, a concurrent copy or the recovery pass that finds the payment pending resumes at
/// (2); a Ledger refusal (balance short) deletes the pending payment and releases its reservation, so a refused charge
/// leaves nothing behind.
/// </summary>
public sealed class ChargeService(
    GatewayStore store, ModelCache models, ChargeBatcher batcher, LedgerService.LedgerServiceClient ledger, IOutbox outbox, GatewayMetrics metrics, TimeProvider time)
{
    public async Task<ChargeUsageResponse> ChargeAsync(ChargeUsageRequest request, Caller caller, CancellationToken cancellationToken)
    {
        var requestId = GatewayRules.RequestId("request_id", request.RequestId);
        GatewayRules.ModelId(request.ModelId);
        GatewayRules.Account("payer_account", request.PayerAccount);
        GatewayRules.Positive("units", request.Units);
        var contentHash = GatewayRules.ContentHash(request, caller.Account);

        ModelInfo model;
        long amount;
        try
        {
            model = await models.GetAsync(request.ModelId, cancellationToken);
            RequireChargeable(model, caller.Account);
            amount = GatewayRules.Fee("units", model.AmountPerUnit, request.Units);
        }
        catch (DomainException)
        {
            // A known request is answered from its payment, whatever the model's state is now: it was decided already.
            if (await store.PaymentByRequestAsync(requestId, null, false, cancellationToken) is { } known)
            {
                return await ResumeAsync(known, contentHash, cancellationToken);
            }
            throw;
        }
        var payment = new PaymentRecord
        {
            PaymentId = Guid.CreateVersion7(GatewayRules.Now(time)),
            RequestId = requestId,
            ContentHash = contentHash,
            Kind = PaymentKind.Charge,
            Status = PaymentStatus.Pending,
            ModelId = model.ModelId,
            PayerAccount = request.PayerAccount,
            ProviderAccount = model.ProviderAccount,
            Units = request.Units,
            Unit = model.Unit,
            AmountPerUnit = model.AmountPerUnit,
            Amount = amount,
            LedgerTransferId = amount > 0 ? GatewayRules.Derived("charge", requestId).ToString() : null,
            CreatedAt = GatewayRules.Now(time).UtcDateTime,
        };

        var result = await batcher.SubmitAsync(payment, cancellationToken);
        if (result.Verdict == BatchVerdict.Paid)
        {
            return result.Response!;
        }
        // Stored before (a retry, a concurrent copy that got there first), or left for one-by-one completion: finish it
        // from the stored row, as a retry would.
        var stored = await store.PaymentByRequestAsync(requestId, null, false, cancellationToken);
        if (stored is null && result.Moved)
        {
            // The batch moved the money, but a concurrent copy had seen the Ledger refuse (the payer short, topped up
            // since) and released the row: the payment is recorded now, without a reservation.
            return await MarkPaidAsync(payment, result.Transfer, cancellationToken);
        }
        return stored is null
            ? throw new DomainException(DomainErrorKind.Unavailable, "the first copy of this request was refused; retry with the same request id")
            : await ResumeAsync(stored, contentHash, cancellationToken);
    }

    /// <summary>The recovery pass: finishes a payment left pending (a crash or a lost Ledger answer between steps).</summary>
    public async Task ResumePendingAsync(Guid requestId, CancellationToken cancellationToken)
    {
        if (await store.PaymentByRequestAsync(requestId, null, false, cancellationToken) is { Status: PaymentStatus.Pending } pending)
        {
            try
            {
                await CompleteAsync(pending, cancellationToken);
            }
            catch (DomainException)
            {
                // Refused by the Ledger (balance short): CompleteAsync already released it. Nothing to resume.
            }
        }
    }

    public static void RequireChargeable(ModelInfo model, string caller)
    {
        if (model.ProviderAccount != caller)
        {
            throw DomainException.PermissionDenied($"caller {caller} is not the provider of model {model.ModelId}");
        }
        if (model.Status != ModelStatus.Listed)
        {
            throw DomainException.FailedPrecondition($"model {model.ModelId} is {model.Status}, not Listed: it cannot be charged for");
        }
    }

    /// <summary>Locks the allowance row and reserves <paramref name="amount"/> on it, or refuses naming why.</summary>
    public async Task ReserveAsync(Npgsql.NpgsqlTransaction transaction, string payer, string modelId, long amount, CancellationToken cancellationToken)
    {
        var now = GatewayRules.Now(time);
        var allowance = await store.AllowanceAsync(payer, modelId, transaction, forUpdate: true, cancellationToken)
                        ?? throw DomainException.FailedPrecondition($"no allowance: {payer} has not granted model {modelId} an allowance");
        if (allowance.RefusalAt(now, amount) is { } refusal)
        {
            throw DomainException.FailedPrecondition(refusal);
        }
        await store.AdjustAllowanceAsync(transaction, payer, modelId, reservedDelta: amount, usedDelta: 0, now.UtcDateTime, cancellationToken);
    }

    private async Task<ChargeUsageResponse> ResumeAsync(PaymentRecord payment, byte[] contentHash, CancellationToken cancellationToken)
    {
        if (!payment.ContentHash.AsSpan().SequenceEqual(contentHash))
        {
            throw DomainException.AlreadyExists($"request_id {payment.RequestId} was already used for another request");
        }
        return payment.Status == PaymentStatus.Paid
            ? ChargeUsageResponse.Parser.ParseFrom(payment.Response)
            : await CompleteAsync(payment, cancellationToken);
    }

    private async Task<ChargeUsageResponse> CompleteAsync(PaymentRecord payment, CancellationToken cancellationToken)
    {
        Contracts.Ledger.V1.Transfer? transfer = null;
        if (payment.Amount > 0)
        {
            try
            {
                var request = new TransferBatchRequest { RequestId = Guid.CreateVersion7(time.GetUtcNow()).ToString() };
                request.Legs.Add(LedgerCalls.ChargeLeg(payment));
                transfer = (await ledger.TransferBatchAsync(request, cancellationToken: cancellationToken)).Transfers[0];
            }
            catch (RpcException ex) when (LedgerCalls.IsRefused(ex))
            {
                await ReleaseAsync(payment, cancellationToken);
                throw LedgerCalls.BalanceShort(payment.PayerAccount, payment.Amount);
            }
        }
        return await MarkPaidAsync(payment, transfer, cancellationToken);
    }

    private async Task ReleaseAsync(PaymentRecord payment, CancellationToken cancellationToken)
    {
        var (connection, transaction) = await store.BeginAsync(cancellationToken);
        await using (connection)
        await using (transaction)
        {
            if (await store.PaymentByRequestAsync(payment.RequestId, transaction, forUpdate: true, cancellationToken) is { Status: PaymentStatus.Pending })
            {
                await store.DeletePaymentAsync(transaction, payment.RequestId, cancellationToken);
                await store.AdjustAllowanceAsync(transaction, payment.PayerAccount, payment.ModelId, -payment.Amount, 0, GatewayRules.Now(time).UtcDateTime, cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
        }
    }

    private async Task<ChargeUsageResponse> MarkPaidAsync(PaymentRecord payment, Contracts.Ledger.V1.Transfer? transfer, CancellationToken cancellationToken)
    {
        var now = GatewayRules.Now(time);
        var (connection, transaction) = await store.BeginAsync(cancellationToken);
        await using (connection)
        await using (transaction)
        {
            var current = await store.PaymentByRequestAsync(payment.RequestId, transaction, forUpdate: true, cancellationToken);
            if (current is { Status: PaymentStatus.Paid })
            {
                // A concurrent copy finished it first.
                return ChargeUsageResponse.Parser.ParseFrom(current.Response);
            }
            // The row being paid carries the reservation to turn into spending (a recorded-late payment carries none).
            var reserved = true;
            if (current is null)
            {
                // A concurrent copy saw the Ledger refuse and released the payment, yet this copy's transfer went through
                // (the payer was topped up in between): the money moved, so the payment is recorded, without a reservation.
                if (await store.InsertPaymentAsync(transaction, payment, cancellationToken))
                {
                    reserved = false;
                }
                else
                {
                    // A fresh retry inserted the request's payment again (with its own reservation) meanwhile: that row is
                    // the one this transfer pays (same derived transfer id), so finish it the normal way.
                    current = await store.PaymentByRequestAsync(payment.RequestId, transaction, forUpdate: true, cancellationToken)
                              ?? throw new InvalidOperationException($"payment of request {payment.RequestId} vanished while being paid");
                    if (current.Status == PaymentStatus.Paid)
                    {
                        return ChargeUsageResponse.Parser.ParseFrom(current.Response);
                    }
                }
            }
            payment = current ?? payment;
            var reservedDelta = reserved ? -payment.Amount : 0;
            var allowance = await store.AdjustAllowanceAsync(transaction, payment.PayerAccount, payment.ModelId, reservedDelta, payment.Amount, now.UtcDateTime, cancellationToken);
            var paid = payment.Paid(transfer);
            var response = new ChargeUsageResponse { Payment = GatewayMapping.ToProto(paid), Allowance = GatewayMapping.ToProto(allowance, now) };
            await store.MarkPaidAsync(transaction, payment.RequestId, paid.LedgerTransferId, paid.LedgerSequence, paid.LedgerHash, response.ToByteArray(), cancellationToken);
            await outbox.EnqueueAsync(transaction, UsagePaidOf(paid, now), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            metrics.Paid("charge", 1, paid.Amount);
            return response;
        }
    }

    public static UsagePaid UsagePaidOf(PaymentRecord paid, DateTimeOffset now) => new(
        paid.PaymentId.ToString(), paid.ModelId, paid.PayerAccount, paid.ProviderAccount, paid.Units, paid.Amount,
        paid.LedgerTransferId ?? "", paid.LedgerSequence ?? 0, now);
}
