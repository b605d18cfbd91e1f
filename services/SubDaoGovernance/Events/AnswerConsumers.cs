using Npgsql;
using Perspective.Governance.Engine;
using Perspective.Governance.Events;

namespace Perspective.SubDaoGovernance.Events;

// The handling is the engine's; these types stay here so the bus finds them and their queue and inbox names stay as they were.

/// <summary>An action of a sub-DAO proposal was carried out (by the registry, the treasury, or this service).</summary>
public sealed class ProposalActionExecutedConsumer(NpgsqlDataSource dataSource, TimeProvider time, ExecutionAnswers answers)
    : ProposalActionExecutedConsumerBase(dataSource, time, answers);

/// <summary>An action of a sub-DAO proposal could not be carried out: the proposal is ExecutionFailed with the reason.</summary>
public sealed class ProposalActionFailedConsumer(NpgsqlDataSource dataSource, TimeProvider time, ExecutionAnswers answers)
    : ProposalActionFailedConsumerBase(dataSource, time, answers);
