using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Npgsql;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.ServiceDefaults.Api;
using Perspective.ServiceDefaults.Auth;
using Perspective.ServiceDefaults.Errors;
using Perspective.ServiceDefaults.Messaging;
using Perspective.UsageGateway.Api;
using Perspective.UsageGateway.Data;
using Perspective.UsageGateway.Domain;
using Perspective.UsageGateway.Models;
using PaymentKind = Perspective.UsageGateway.Domain.PaymentKind;

namespace Perspective.UsageGateway.Payments;

/// <summary>
/// Metered usage: AuthorizeUsage places a Ledger hold and reserves the allowance; SettleUsage posts the used part;
/// CancelUsage and expiry void it. Each is claim (one transaction: request id, state change to a mid-flight status,
/// allowance) → one Ledger call with an id derived from ours → finish (one transaction). A retry with the same
/// request id, or the recovery pass for a row stuck mid-flight, repeats the Ledger call (the Ledger replays it) and finishes.
/// </summary>
public sealed class MeteredService(
    GatewayStore store, ModelCache models, ChargeService charges, LedgerService.LedgerServiceClient ledger, IOutbox outbox, GatewayMetrics metrics, TimeProvider time,
    IOptions<GatewayOptions> options)
{
    private const string AuthorizeKind = "authorize";
    private const string SettleKind = "settle";
    private const string CancelKind = "cancel";

    // ------------------------------------------------------------------ authorize

    public async Task<AuthorizeUsageResponse> AuthorizeAsync(AuthorizeUsageRequest request, Caller caller, CancellationToken cancellationToken)
    {
        var requestId = GatewayRules.RequestId("request_id", request.RequestId);
        GatewayRules.ModelId(request.ModelId);
        GatewayRules.Account("payer_account", request.PayerAccount);
        GatewayRules.Positive("max_units", request.MaxUnits);
        if (request.TtlSeconds is < 1 or > GatewayRules.TtlSecondsMax)
        {
            throw DomainException.InvalidArgument("ttl_seconds", $"must be 1 to {GatewayRules.TtlSecondsMax}");
        }
        var contentHash = GatewayRules.ContentHash(request, caller.Account);
        if (await ReplayAsync(requestId, contentHash, AuthorizeUsageResponse.Parser, cancellationToken) is { } replay)
        {
            return replay.Response ?? await FinishAuthorizeAsync(replay.Authorization!, cancellationToken);
        }

        var model = await models.GetAsync(request.ModelId, cancellationToken);
        ChargeService.RequireChargeable(model, caller.Account);
        var maxAmount = GatewayRules.Fee("max_units", model.AmountPerUnit, request.MaxUnits);
        var now = GatewayRules.Now(time);
        var authorization = new AuthorizationRecord
        {
            AuthorizationId = Guid.CreateVersion7(now),
            RequestId = requestId,
            ModelId = model.ModelId,
            PayerAccount = request.PayerAccount,
            ProviderAccount = model.ProviderAccount,
            MaxUnits = request.MaxUnits,
            Unit = model.Unit,
            AmountPerUnit = model.AmountPerUnit,
            MaxAmount = maxAmount,
            Status = AuthorizationStatus.Creating,
            LedgerHoldId = maxAmount > 0 ? GatewayRules.Derived("hold", requestId) : null,
            CreatedAt = now.UtcDateTime,
            ExpiresAt = (now + TimeSpan.FromSeconds(request.TtlSeconds)).UtcDateTime,
            UpdatedAt = now.UtcDateTime,
        };
        var (connection, transaction) = await store.BeginAsync(cancellationToken);
        await using (connection)
        await using (transaction)
        {
            if (!await store.ClaimRequestAsync(transaction, requestId, AuthorizeKind, contentHash, now.UtcDateTime, cancellationToken))
            {
                await transaction.RollbackAsync(cancellationToken);
                return await AuthorizeAsync(request, caller, cancellationToken);
            }
            await charges.ReserveAsync(transaction, authorization.PayerAccount, authorization.ModelId, maxAmount, cancellationToken);
            await store.InsertAuthorizationAsync(transaction, authorization, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        return await FinishAuthorizeAsync(authorization, cancellationToken);
    }

    private async Task<AuthorizeUsageResponse> FinishAuthorizeAsync(AuthorizationRecord authorization, CancellationToken cancellationToken)
    {
        if (authorization.LedgerHoldId is { } holdId)
        {
            try
            {
                await ledger.CreateHoldAsync(new CreateHoldRequest
                {
                    RequestId = holdId.ToString(),
                    FromAccount = authorization.PayerAccount,
                    ToAccount = GatewayRules.TreasuryAccount(authorization.ModelId),
                    Asset = LedgerCalls.Pov,
                    Amount = authorization.MaxAmount,
                    ExpiresAt = Timestamp.FromDateTime(authorization.ExpiresAt.AddSeconds(options.Value.HoldGraceSeconds)),
                    Memo = $"usage authorization {authorization.AuthorizationId}",
                }, cancellationToken: cancellationToken);
            }
            catch (RpcException ex) when (LedgerCalls.IsRefused(ex))
            {
                await AbandonAuthorizeAsync(authorization, cancellationToken);
                throw LedgerCalls.BalanceShort(authorization.PayerAccount, authorization.MaxAmount);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.InvalidArgument && GatewayRules.Now(time).UtcDateTime >= authorization.ExpiresAt)
            {
                // Resumed after the authorization's own expiry, and the hold was never placed (a placed one would replay):
                // the Ledger refuses a hold that expires in the past, so give the authorization up instead of retrying forever.
                await AbandonAuthorizeAsync(authorization, cancellationToken);
                throw DomainException.FailedPrecondition($"authorization {authorization.AuthorizationId} expired before its hold could be placed");
            }
        }
        var orphan = false;
        var answer = await store.InTransactionAsync<AuthorizeUsageResponse?>(async transaction =>
        {
            var current = await store.AuthorizationAsync(authorization.AuthorizationId, transaction, forUpdate: true, cancellationToken);
            if (current is null)
            {
                // A concurrent copy saw the hold refused and abandoned the authorization, yet this copy's hold was placed
                // (the payer was topped up in between): release it below rather than leave the payer's funds held.
                orphan = true;
                return null;
            }
            if (current.Status == AuthorizationStatus.Creating)
            {
                current = await store.UpdateAuthorizationAsync(transaction, current.AuthorizationId, AuthorizationStatus.Authorized, 0, null, null, null,
                    GatewayRules.Now(time).UtcDateTime, cancellationToken);
            }
            var response = new AuthorizeUsageResponse { Authorization = GatewayMapping.ToProto(current) };
            await store.CompleteRequestAsync(transaction, current.RequestId, response.ToByteArray(), cancellationToken);
            return response;
        }, cancellationToken);
        if (orphan && authorization.LedgerHoldId is { } placed)
        {
            try
            {
                await ledger.VoidHoldAsync(new VoidHoldRequest { RequestId = GatewayRules.Derived("void-orphan", placed).ToString(), HoldId = placed.ToString() },
                    cancellationToken: cancellationToken);
            }
            catch (RpcException ex) when (LedgerCalls.IsRefused(ex))
            {
                // Already released at the Ledger: the end state is the same.
            }
        }
        return answer ?? throw LedgerCalls.BalanceShort(authorization.PayerAccount, authorization.MaxAmount);
    }

    /// <summary>The hold was refused (balance short): the authorization, its reservation and its request id go, as if never asked.</summary>
    private Task AbandonAuthorizeAsync(AuthorizationRecord authorization, CancellationToken cancellationToken) =>
        store.InTransactionAsync(async transaction =>
        {
            if (await store.AuthorizationAsync(authorization.AuthorizationId, transaction, forUpdate: true, cancellationToken) is { Status: AuthorizationStatus.Creating })
            {
                await store.DeleteAuthorizationAsync(transaction, authorization.AuthorizationId, cancellationToken);
                await store.AdjustAllowanceAsync(transaction, authorization.PayerAccount, authorization.ModelId, -authorization.MaxAmount, 0, GatewayRules.Now(time).UtcDateTime, cancellationToken);
                await store.ForgetRequestAsync(transaction, authorization.RequestId, cancellationToken);
            }
            return true;
        }, cancellationToken);

    // ------------------------------------------------------------------ settle

    public async Task<SettleUsageResponse> SettleAsync(SettleUsageRequest request, Caller caller, CancellationToken cancellationToken)
    {
        var requestId = GatewayRules.RequestId("request_id", request.RequestId);
        var authorizationId = GatewayRules.Id("authorization_id", request.AuthorizationId);
        GatewayRules.Positive("units_used", request.UnitsUsed);
        var contentHash = GatewayRules.ContentHash(request, caller.Account);
        if (await ReplayAsync(requestId, contentHash, SettleUsageResponse.Parser, cancellationToken) is { } replay)
        {
            return replay.Response ?? await FinishSettleAsync(replay.Authorization!, cancellationToken);
        }

        var now = GatewayRules.Now(time);
        var claimed = await store.InTransactionAsync(async transaction =>
        {
            if (!await store.ClaimRequestAsync(transaction, requestId, SettleKind, contentHash, now.UtcDateTime, cancellationToken))
            {
                return null;
            }
            var authorization = await OpenAuthorizationAsync(transaction, authorizationId, caller, now, cancellationToken);
            if (request.UnitsUsed > authorization.MaxUnits)
            {
                throw DomainException.InvalidArgument("units_used", $"must be at most max_units ({authorization.MaxUnits})");
            }
            var amount = GatewayRules.Fee("units_used", authorization.AmountPerUnit, request.UnitsUsed);
            var payment = new PaymentRecord
            {
                PaymentId = Guid.CreateVersion7(now),
                RequestId = requestId,
                ContentHash = contentHash,
                Kind = PaymentKind.Metered,
                Status = PaymentStatus.Pending,
                ModelId = authorization.ModelId,
                PayerAccount = authorization.PayerAccount,
                ProviderAccount = authorization.ProviderAccount,
                Units = request.UnitsUsed,
                Unit = authorization.Unit,
                AmountPerUnit = authorization.AmountPerUnit,
                Amount = amount,
                AuthorizationId = authorization.AuthorizationId,
                CreatedAt = now.UtcDateTime,
            };
            if (!await store.InsertPaymentAsync(transaction, payment, cancellationToken))
            {
                // The id belongs to a charge (charges keep their ids in payments, not in requests): refuse, change nothing.
                throw DomainException.AlreadyExists($"request_id: {requestId} was already used for another request");
            }
            return await store.UpdateAuthorizationAsync(transaction, authorizationId, AuthorizationStatus.Settling, request.UnitsUsed, payment.PaymentId, requestId,
                null, now.UtcDateTime, cancellationToken);
        }, cancellationToken);
        return claimed is null
            ? await SettleAsync(request, caller, cancellationToken)
            : await FinishSettleAsync(claimed, cancellationToken);
    }

    private async Task<SettleUsageResponse> FinishSettleAsync(AuthorizationRecord authorization, CancellationToken cancellationToken)
    {
        var requestId = authorization.ClosingRequestId!.Value;
        var payment = await store.PaymentByRequestAsync(requestId, null, false, cancellationToken)
                      ?? throw new InvalidOperationException($"settling authorization {authorization.AuthorizationId} has no payment");
        if (payment.PaymentId != authorization.PaymentId)
        {
            throw new InvalidOperationException($"payment {payment.PaymentId} of request {requestId} is not the payment of authorization {authorization.AuthorizationId}");
        }
        Contracts.Ledger.V1.Transfer? transfer = null;
        if (authorization.LedgerHoldId is { } holdId && payment.Amount > 0)
        {
            try
            {
                transfer = (await ledger.PostHoldAsync(new PostHoldRequest
                {
                    RequestId = GatewayRules.Derived("post", requestId).ToString(),
                    HoldId = holdId.ToString(),
                    Amount = payment.Amount,
                }, cancellationToken: cancellationToken)).Transfer;
            }
            catch (RpcException ex) when (LedgerCalls.IsRefused(ex))
            {
                // The hold is no longer pending at the Ledger (it expired there): nothing can be charged.
                await CloseAsync(authorization, AuthorizationStatus.Expired, payment, cancellationToken);
                throw DomainException.FailedPrecondition($"authorization {authorization.AuthorizationId} expired");
            }
        }
        var newlyPaid = false;
        var settled = await store.InTransactionAsync(async transaction =>
        {
            newlyPaid = false;
            var current = (await store.AuthorizationAsync(authorization.AuthorizationId, transaction, forUpdate: true, cancellationToken))!;
            if (current.Status == AuthorizationStatus.Settled)
            {
                var done = await store.RequestAsync(transaction, requestId, cancellationToken);
                return SettleUsageResponse.Parser.ParseFrom(done!.Response);
            }
            var now = GatewayRules.Now(time);
            current = await store.UpdateAuthorizationAsync(transaction, current.AuthorizationId, AuthorizationStatus.Settled, current.UnitsUsed, current.PaymentId,
                current.ClosingRequestId, now.UtcDateTime, now.UtcDateTime, cancellationToken);
            await store.AdjustAllowanceAsync(transaction, current.PayerAccount, current.ModelId, -current.MaxAmount, payment.Amount, now.UtcDateTime, cancellationToken);
            var paid = payment.Paid(transfer);
            await store.MarkPaidAsync(transaction, requestId, paid.LedgerTransferId, paid.LedgerSequence, paid.LedgerHash, null, cancellationToken);
            await outbox.EnqueueAsync(transaction, ChargeService.UsagePaidOf(paid, now), cancellationToken);
            var response = new SettleUsageResponse { Authorization = GatewayMapping.ToProto(current), Payment = GatewayMapping.ToProto(paid) };
            await store.CompleteRequestAsync(transaction, requestId, response.ToByteArray(), cancellationToken);
            newlyPaid = true;
            return response;
        }, cancellationToken);
        if (newlyPaid)
        {
            metrics.Paid("metered", 1, payment.Amount);
        }
        return settled;
    }

    // ------------------------------------------------------------------ cancel and expiry

    public async Task<CancelUsageResponse> CancelAsync(CancelUsageRequest request, Caller caller, CancellationToken cancellationToken)
    {
        var requestId = GatewayRules.RequestId("request_id", request.RequestId);
        var authorizationId = GatewayRules.Id("authorization_id", request.AuthorizationId);
        if (request.Reason.Length > GatewayRules.ReasonLengthMax)
        {
            throw DomainException.InvalidArgument("reason", $"must be at most {GatewayRules.ReasonLengthMax} characters");
        }
        TextRules.Text("reason", request.Reason);
        var contentHash = GatewayRules.ContentHash(request, caller.Account);
        if (await ReplayAsync(requestId, contentHash, CancelUsageResponse.Parser, cancellationToken) is { } replay)
        {
            return replay.Response ?? new CancelUsageResponse { Authorization = GatewayMapping.ToProto(await FinishCloseAsync(replay.Authorization!, cancellationToken)) };
        }
        var now = GatewayRules.Now(time);
        var claimed = await store.InTransactionAsync(async transaction =>
        {
            if (!await store.ClaimRequestAsync(transaction, requestId, CancelKind, contentHash, now.UtcDateTime, cancellationToken))
            {
                return null;
            }
            var authorization = await OpenAuthorizationAsync(transaction, authorizationId, caller, now, cancellationToken);
            return await store.UpdateAuthorizationAsync(transaction, authorizationId, AuthorizationStatus.Canceling, 0, null, requestId, null, now.UtcDateTime, cancellationToken);
        }, cancellationToken);
        return claimed is null
            ? await CancelAsync(request, caller, cancellationToken)
            : new CancelUsageResponse { Authorization = GatewayMapping.ToProto(await FinishCloseAsync(claimed, cancellationToken)) };
    }

    /// <summary>The recovery pass: expires an open authorization past its time, or finishes one stuck mid-flight.</summary>
    public async Task SweepAsync(AuthorizationRecord authorization, CancellationToken cancellationToken)
    {
        switch (authorization.Status)
        {
            case AuthorizationStatus.Authorized:
                var now = GatewayRules.Now(time);
                var expiring = await store.InTransactionAsync(async transaction =>
                {
                    var current = await store.AuthorizationAsync(authorization.AuthorizationId, transaction, forUpdate: true, cancellationToken);
                    return current is { Status: AuthorizationStatus.Authorized } && current.ExpiresAt <= now.UtcDateTime
                        ? await store.UpdateAuthorizationAsync(transaction, current.AuthorizationId, AuthorizationStatus.Expiring, 0, null, null, null, now.UtcDateTime, cancellationToken)
                        : null;
                }, cancellationToken);
                if (expiring is not null)
                {
                    await FinishCloseAsync(expiring, cancellationToken);
                }
                break;
            case AuthorizationStatus.Creating:
                await FinishAuthorizeAsync(authorization, cancellationToken);
                break;
            case AuthorizationStatus.Settling:
                await FinishSettleAsync(authorization, cancellationToken);
                break;
            case AuthorizationStatus.Canceling or AuthorizationStatus.Expiring:
                await FinishCloseAsync(authorization, cancellationToken);
                break;
        }
    }

    /// <summary>Voids the hold of a canceling or expiring authorization and closes it, freeing the allowance.</summary>
    private async Task<AuthorizationRecord> FinishCloseAsync(AuthorizationRecord authorization, CancellationToken cancellationToken)
    {
        if (authorization.LedgerHoldId is { } holdId)
        {
            var voidId = authorization.Status == AuthorizationStatus.Canceling
                ? GatewayRules.Derived("void", authorization.ClosingRequestId!.Value)
                : GatewayRules.Derived("expire", authorization.AuthorizationId);
            try
            {
                await ledger.VoidHoldAsync(new VoidHoldRequest { RequestId = voidId.ToString(), HoldId = holdId.ToString() }, cancellationToken: cancellationToken);
            }
            catch (RpcException ex) when (LedgerCalls.IsRefused(ex))
            {
                // Already released at the Ledger (its own expiry came first): the end state is the same.
            }
        }
        var closed = authorization.Status == AuthorizationStatus.Canceling ? AuthorizationStatus.Canceled : AuthorizationStatus.Expired;
        return await CloseAsync(authorization, closed, payment: null, cancellationToken);
    }

    private Task<AuthorizationRecord> CloseAsync(AuthorizationRecord authorization, AuthorizationStatus closed, PaymentRecord? payment, CancellationToken cancellationToken) =>
        store.InTransactionAsync(async transaction =>
        {
            var current = (await store.AuthorizationAsync(authorization.AuthorizationId, transaction, forUpdate: true, cancellationToken))!;
            if (current.Status is AuthorizationStatus.Settled or AuthorizationStatus.Canceled or AuthorizationStatus.Expired)
            {
                return current;
            }
            var now = GatewayRules.Now(time).UtcDateTime;
            current = await store.UpdateAuthorizationAsync(transaction, current.AuthorizationId, closed, 0, null, current.ClosingRequestId, now, now, cancellationToken);
            await store.AdjustAllowanceAsync(transaction, current.PayerAccount, current.ModelId, -current.MaxAmount, 0, now, cancellationToken);
            if (payment is not null)
            {
                await store.DeletePaymentAsync(transaction, payment.RequestId, cancellationToken);
                await store.ForgetRequestAsync(transaction, payment.RequestId, cancellationToken);
            }
            else if (closed == AuthorizationStatus.Canceled && current.ClosingRequestId is { } cancelId)
            {
                await store.CompleteRequestAsync(transaction, cancelId, new CancelUsageResponse { Authorization = GatewayMapping.ToProto(current) }.ToByteArray(), cancellationToken);
            }
            return current;
        }, cancellationToken);

    // ------------------------------------------------------------------ helpers

    private sealed record Replay<T>(T? Response, AuthorizationRecord? Authorization) where T : class;

    /// <summary>
    /// A request id seen before: its stored response, or the authorization it left mid-flight (to finish), or
    /// ALREADY_EXISTS when it came with other content. Null for a new request id.
    /// </summary>
    private async Task<Replay<T>?> ReplayAsync<T>(Guid requestId, byte[] contentHash, MessageParser<T> parser, CancellationToken cancellationToken)
        where T : class, IMessage<T> =>
        await store.InTransactionAsync(async transaction =>
        {
            var known = await store.RequestAsync(transaction, requestId, cancellationToken);
            if (known is null)
            {
                return null;
            }
            if (!known.ContentHash.AsSpan().SequenceEqual(contentHash))
            {
                throw DomainException.AlreadyExists($"request_id {requestId} was already used for another request");
            }
            if (known.Response is not null)
            {
                return new Replay<T>(parser.ParseFrom(known.Response), null);
            }
            var authorization = await store.AuthorizationByRequestAsync(transaction, requestId, cancellationToken)
                                ?? throw new DomainException(DomainErrorKind.Unavailable, "the first copy of this request is still in progress; retry with the same request id");
            return new Replay<T>(null, authorization);
        }, cancellationToken);

    /// <summary>An authorization the caller may close now: it exists, the caller is its provider, it is open and not past its expiry.</summary>
    private async Task<AuthorizationRecord> OpenAuthorizationAsync(NpgsqlTransaction transaction, Guid authorizationId, Caller caller, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var authorization = await store.AuthorizationAsync(authorizationId, transaction, forUpdate: true, cancellationToken);
        if (authorization is null || authorization.Status == AuthorizationStatus.Creating)
        {
            throw DomainException.NotFound($"authorization {authorizationId} not found");
        }
        if (authorization.ProviderAccount != caller.Account)
        {
            throw DomainException.PermissionDenied($"caller {caller.Account} is not the provider of authorization {authorizationId}");
        }
        if (authorization.Status != AuthorizationStatus.Authorized)
        {
            var state = authorization.Status switch
            {
                AuthorizationStatus.Settled or AuthorizationStatus.Settling => "settled",
                AuthorizationStatus.Canceled or AuthorizationStatus.Canceling => "canceled",
                _ => "expired",
            };
            throw DomainException.FailedPrecondition($"authorization {authorizationId} is not open: it is {state}");
        }
        if (authorization.ExpiresAt <= now.UtcDateTime)
        {
            throw DomainException.FailedPrecondition($"authorization {authorizationId} is not open: it expired at {authorization.ExpiresAt:O}");
        }
        return authorization;
    }
}
