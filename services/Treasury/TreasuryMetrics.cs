using System.Diagnostics.Metrics;
using Perspective.ServiceDefaults.Telemetry;

namespace Perspective.Treasury;

/// <summary>
/// The treasury's business counters, on the service's own meter (<c>Perspective.treasury</c>, exported only when telemetry
/// is on): revenue counted, payouts by status, distributions by status and the lines they paid.
/// </summary>
public sealed class TreasuryMetrics
{
    private readonly Counter<long> payments;
    private readonly Counter<long> revenue;
    private readonly Counter<long> payouts;
    private readonly Counter<long> distributions;
    private readonly Counter<long> linesPaid;

    public TreasuryMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(PerspectiveTelemetry.MeterName(TreasuryHost.Service));
        payments = meter.CreateCounter<long>("treasury.revenue.payments", "{payment}", "Usage payments counted (each once).");
        revenue = meter.CreateCounter<long>("treasury.revenue.amount", "{base_unit}", "POV base units of revenue counted.");
        payouts = meter.CreateCounter<long>("treasury.payouts", "{payout}", "TreasurySpend actions carried out, by status: paid or failed.");
        distributions = meter.CreateCounter<long>("treasury.distributions", "{distribution}", "Distributions finished, by status: completed or failed.");
        linesPaid = meter.CreateCounter<long>("treasury.distribution.lines.paid", "{line}", "Distribution lines recorded paid (zero shares included).");
    }

    public void Counted(long amount)
    {
        payments.Add(1);
        revenue.Add(amount);
    }

    public void Payout(string status) => payouts.Add(1, new KeyValuePair<string, object?>("status", status));

    public void Distribution(string status) => distributions.Add(1, new KeyValuePair<string, object?>("status", status));

    public void LinesPaid(int count) => linesPaid.Add(count);
}
