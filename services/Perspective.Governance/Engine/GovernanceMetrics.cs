using System.Diagnostics.Metrics;
using Perspective.Governance.Domain;
using Perspective.ServiceDefaults;
using Perspective.ServiceDefaults.Telemetry;

namespace Perspective.Governance.Engine;

/// <summary>Business counters of a DAO service (DESIGN.md §4), on the service's own meter; counted after the commit.</summary>
public sealed class GovernanceMetrics
{
    private readonly Counter<long> proposalsCreated;
    private readonly Counter<long> votesCast;
    private readonly Counter<long> proposalsDecided;
    private readonly Counter<long> executionsRequested;
    private volatile IReadOnlyDictionary<short, long> byState = new Dictionary<short, long>();

    public GovernanceMetrics(IMeterFactory meterFactory, ServiceInfo service)
    {
        var meter = meterFactory.Create(PerspectiveTelemetry.MeterName(service));
        proposalsCreated = meter.CreateCounter<long>("governance.proposals.created", "{proposal}", "Proposals created.");
        votesCast = meter.CreateCounter<long>("governance.votes.cast", "{vote}", "Votes recorded.");
        proposalsDecided = meter.CreateCounter<long>("governance.proposals.decided", "{proposal}", "Votes ended, by outcome (passed, defeated).");
        executionsRequested = meter.CreateCounter<long>("governance.executions.requested", "{proposal}", "ProposalExecutionRequested published.");
        // Every state is reported, zeros included, so a dashboard's series do not vanish when a state empties.
        meter.CreateObservableGauge("governance.proposals", () => Enum.GetValues<ProposalState>()
                .Select(state => new Measurement<long>(byState.GetValueOrDefault((short)state), new KeyValuePair<string, object?>("state", state.ToString()))),
            "{proposal}", "Proposals of this service's DAOs by state, as the scheduler last counted them (about every 15 s).");
    }

    /// <summary>The scheduler's latest count of proposals by state (stored state numbers).</summary>
    public void StatesCounted(IReadOnlyDictionary<short, long> counts) => byState = counts;

    public void ProposalCreated() => proposalsCreated.Add(1);

    public void VoteCast() => votesCast.Add(1);

    public void Decided(bool passed) => proposalsDecided.Add(1, new KeyValuePair<string, object?>("outcome", passed ? "passed" : "defeated"));

    public void ExecutionRequested() => executionsRequested.Add(1);
}
