namespace Perspective.Client.Tests;

/// <summary>
/// The provider integration shown in docs/client.md, the text between the snippet markers copied there verbatim:
/// compiled here and run by <see cref="DocsTests"/>, so the page cannot rot.
/// </summary>
public static class ProviderIntegration
{
    public static async Task ServeAsync(Uri gateway, Func<CancellationToken, ValueTask<string>> providerToken, string modelId, string user,
        TextWriter output, CancellationToken ct)
    {
        // snippet:begin
        using var perspective = new PerspectiveProviderClient(new PerspectiveProviderOptions { Endpoint = gateway, TokenProvider = providerToken });

        var quote = await perspective.GetModelQuoteAsync(modelId, units: 1, ct);
        output.WriteLine($"{quote.Status}, {quote.AmountPerUnitBaseUnits} base units per {quote.Unit}");
        try
        {
            // Serve the request, then charge it. A retry inside reuses the request id, so it is paid once.
            var charge = await perspective.ChargeUsageAsync(modelId, user, units: 1, cancellationToken: ct);
            output.WriteLine($"charged {charge.Payment.AmountBaseUnits} (request {charge.RequestId}); allowance left {charge.Allowance.RemainingBaseUnits}");

            // Metered: hold up to 500 units for 5 minutes, then pay for what was used.
            var hold = await perspective.AuthorizeUsageAsync(modelId, user, maxUnits: 500, TimeSpan.FromMinutes(5), cancellationToken: ct);
            var settled = await perspective.SettleUsageAsync(hold.Authorization.AuthorizationId, unitsUsed: 120, cancellationToken: ct);
            output.WriteLine($"metered: {settled.Payment.Units} units, {settled.Payment.AmountBaseUnits} base units");
        }
        catch (PerspectiveException e) when (!e.IsRetryable)
        {
            output.WriteLine($"refused: {e.StatusCode}: {e.Detail}"); // not served: no allowance, model not listed, …
        }
        // snippet:end
    }
}
