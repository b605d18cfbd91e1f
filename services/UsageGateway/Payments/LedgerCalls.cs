using Grpc.Core;
using Perspective.ServiceDefaults.Errors;

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

    public static DomainException BalanceShort(string payer, long amount) =>
        DomainException.FailedPrecondition($"balance short: {payer} has less than {amount} POV available");
}
