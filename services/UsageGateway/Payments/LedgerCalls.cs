using Grpc.Core;
using Perspective.Contracts.Ledger.V1;
using Perspective.ServiceDefaults.Errors;
using Perspective.UsageGateway.Domain;

namespace Perspective.UsageGateway.Payments;

/// <summary>How the gateway reads the Ledger's answers.</summary>
internal static class LedgerCalls
{
    public const string Pov = "POV";

    /// <summary>
    /// The Ledger refused for a reason of state (balance short, hold no longer pending). Any other refusal means the
    /// gateway sent something wrong, and is left to surface as an internal error rather than be dressed up as the caller's fault.
    /// </summary>
    public static bool IsRefused(RpcException ex) => ex.StatusCode == StatusCode.FailedPrecondition;

    /// <summary>
    /// The Ledger leg of a charge: its transfer id is derived from the request, and its content comes from the request, not
    /// the payment row, so every copy of one request sends the Ledger the same leg and the Ledger replays it rather than
    /// paying twice. Charges always go as TransferBatch legs (alone or many together): a leg committed by one batch is
    /// recognised by any later batch, which a plain Transfer under the same id would refuse as already used.
    /// </summary>
    public static TransferLeg ChargeLeg(PaymentRecord payment) => new()
    {
        TransferId = payment.LedgerTransferId,
        FromAccount = payment.PayerAccount,
        ToAccount = GatewayRules.TreasuryAccount(payment.ModelId),
        Asset = Pov,
        Amount = payment.Amount,
        Memo = $"usage charge {payment.RequestId}",
    };

    /// <summary>
    /// The index of the leg a TransferBatch refusal names ("legs[7].amount: …", the Ledger's documented form), or null
    /// when the message names none.
    /// </summary>
    public static int? RefusedLeg(RpcException ex)
    {
        var detail = ex.Status.Detail ?? "";
        if (!detail.StartsWith("legs[", StringComparison.Ordinal))
        {
            return null;
        }
        var close = detail.IndexOf(']', StringComparison.Ordinal);
        return close > 5 && int.TryParse(detail.AsSpan(5, close - 5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index)
            ? index
            : null;
    }

    public static DomainException BalanceShort(string payer, long amount) =>
        DomainException.FailedPrecondition($"balance short: {payer} has less than {amount} POV available");
}
