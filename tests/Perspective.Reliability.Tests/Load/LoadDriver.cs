using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.Contracts.SubDao.V1;
using Perspective.Contracts.Treasury.V1;
using Perspective.Reliability.Tests.Stack;
using Perspective.ServiceDefaults.Auth;
using Perspective.Testing;

namespace Perspective.Reliability.Tests.Load;

public sealed record SentCharge(string RequestId, string Payer, string ModelId, long Units);

public sealed record AckedCharge(SentCharge Request, string PaymentId, long Amount, string LedgerTransferId);

public sealed record SentTransfer(string RequestId, string From, string To, long Amount);

public sealed record SentVote(string RequestId, string ProposalId, string Voter, VoteSupport Support);

public sealed record AckedVote(SentVote Request, long Weight);

public sealed record ProposalRun(string ProposalId, bool Distribution, int VotesSent);

/// <summary>A request that got a definitive refusal (a status not worth retrying).</summary>
public sealed record Refusal(string Operation, string RequestId, StatusCode Status, string Message);

/// <summary>A model of the run: its id, its AI token, its creator.</summary>
public sealed record ChaosModel(string ModelId, string Token, string Creator, long PricePerUnit)
{
    public string TreasuryAccount => $"treasury:{ModelId}";
}

/// <summary>
/// The load: providers charging users (gateway ChargeUsage under allowances), users transferring POV to each other
/// (Ledger Transfer), token holders voting on sub-DAO proposals one after the other, and one DistributeRewards proposal
/// the treasury carries out to every AI-token holder. Every request id sent and every answer is recorded.
/// </summary>
public sealed class LoadDriver : IAsyncDisposable
{
    public const long UserFunds = 1_000_000_000;
    public const long PayerFunds = 100_000_000_000;
    public const long TreasuryFunding = 50_000_000;
    public const long DistributionAmount = 7_777_777;
    public const long TokenSupply = 1_000_000_000_000;
    public const long VoterTokens = 20_000_000_000;

    public static readonly string[] Users = [.. Enumerable.Range(0, 8).Select(i => $"user-{i}")];
    public static readonly string[] Payers = [.. Enumerable.Range(0, 8).Select(i => $"payer-{i}")];
    public static readonly string[] Voters = [.. Enumerable.Range(0, 12).Select(i => $"voter-{i}")];
    public const string Funder = "funder";
    public const string Provider = "provider-1";

    private readonly ChaosStack stack;
    private readonly Random random;
    private readonly GrpcChannel ledgerChannel;
    private readonly GrpcChannel gatewayChannel;
    private readonly GrpcChannel registryChannel;
    private readonly GrpcChannel subDaoChannel;
    private readonly GrpcChannel treasuryChannel;

    public LoadDriver(ChaosStack stack, int seed, int holders)
    {
        this.stack = stack;
        random = new Random(seed);
        Holders = [.. Enumerable.Range(0, holders).Select(i => $"holder-{i:D4}")];
        // Reconnect quickly after a restart: the default back-off grows to two minutes.
        static GrpcChannel Open(string address) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            InitialReconnectBackoff = TimeSpan.FromMilliseconds(200),
            MaxReconnectBackoff = TimeSpan.FromSeconds(1),
        });
        ledgerChannel = Open(stack.Ledger.Address);
        gatewayChannel = Open(stack.Gateway.Address);
        registryChannel = Open(stack.Registry.Address);
        subDaoChannel = Open(stack.SubDao.Address);
        treasuryChannel = Open(stack.Treasury.Address);
    }

    public static IReadOnlyList<(string Account, long Amount)> Genesis =>
    [
        .. Users.Select(u => (u, UserFunds)), .. Payers.Select(p => (p, PayerFunds)), (Funder, 1_000_000_000_000L),
    ];

    public IReadOnlyList<string> Holders { get; }

    public Retrying Retry { get; } = new(TimeSpan.FromMinutes(3));

    public LedgerService.LedgerServiceClient Ledger => new(ledgerChannel);

    public UsageGatewayService.UsageGatewayServiceClient Gateway => new(gatewayChannel);

    public SubDaoGovernanceService.SubDaoGovernanceServiceClient SubDao => new(subDaoChannel);

    public TreasuryService.TreasuryServiceClient Treasury => new(treasuryChannel);

    public ChaosModel ModelA { get; private set; } = null!;

    public ChaosModel ModelB { get; private set; } = null!;

    /// <summary>Each holder's AI-token balance of model A as handed out before the distribution's snapshot.</summary>
    public Dictionary<string, long> TokensHanded { get; } = [];

    public ConcurrentBag<SentCharge> ChargesSent { get; } = [];
    public ConcurrentBag<AckedCharge> ChargesAcked { get; } = [];
    public ConcurrentBag<SentTransfer> TransfersSent { get; } = [];
    public ConcurrentBag<SentTransfer> TransfersAcked { get; } = [];
    public ConcurrentBag<SentVote> VotesSent { get; } = [];
    public ConcurrentBag<AckedVote> VotesAcked { get; } = [];
    public ConcurrentBag<ProposalRun> Proposals { get; } = [];
    public ConcurrentBag<Refusal> Refusals { get; } = [];

    /// <summary>Charges re-sent with an acknowledged request id, and those whose answer named another payment (a finding).</summary>
    public int DuplicatesSent;
    public ConcurrentBag<string> DuplicateMismatches { get; } = [];

    public string? DistributionProposalId { get; private set; }

    public static Metadata As(string account, string role = Roles.User) => TestTokens.Bearer(account, role);

    public static Metadata AsService => TestTokens.Bearer("service:chaos-driver", Roles.Service);

    // ------------------------------------------------------------------ setup (before the faults)

    public async Task SetUpAsync(CancellationToken ct)
    {
        ModelA = await RegisterAsync("a", 3, ct);
        ModelB = await RegisterAsync("b", 2, ct);
        // Model A's AI token goes to the voters and to many holders, so the distribution has many lines.
        var legs = Voters.Select(v => (v, VoterTokens)).Concat(Holders.Select(h => (h, (long)random.Next(1, 1_000_000)))).ToList();
        foreach (var (account, amount) in legs)
        {
            TokensHanded[account] = amount;
        }
        foreach (var chunk in legs.Chunk(1000))
        {
            var batch = new TransferBatchRequest { RequestId = Guid.NewGuid().ToString() };
            batch.Legs.AddRange(chunk.Select(l => new TransferLeg
            {
                TransferId = Guid.NewGuid().ToString(),
                FromAccount = ModelA.Creator,
                ToAccount = l.Item1,
                Asset = ModelA.Token,
                Amount = l.Item2,
            }));
            await Must("setup TransferBatch", batch.RequestId, d => Ledger.TransferBatchAsync(batch, AsService, d, ct).ResponseAsync, ct);
        }
        // A donation to model A's treasury, so the distribution does not depend on how much revenue came in.
        var funding = new TransferRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            FromAccount = Funder,
            ToAccount = ModelA.TreasuryAccount,
            Asset = "POV",
            Amount = TreasuryFunding,
            Memo = "chaos funding",
        };
        await Must("setup funding", funding.RequestId, d => Ledger.TransferAsync(funding, As(Funder), d, ct).ResponseAsync, ct);
        foreach (var payer in Payers)
        {
            foreach (var model in new[] { ModelA, ModelB })
            {
                var allowance = new SetAllowanceRequest { RequestId = Guid.NewGuid().ToString(), ModelId = model.ModelId, CapAmount = PayerFunds };
                await Must("setup SetAllowance", allowance.RequestId, d => Gateway.SetAllowanceAsync(allowance, As(payer), d, ct).ResponseAsync, ct);
            }
        }
    }

    private async Task<ChaosModel> RegisterAsync(string tag, long price, CancellationToken ct)
    {
        var creator = $"creator-{tag}";
        var request = new RegisterModelRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            Name = $"chaos model {tag}",
            Description = "faults under load",
            ProviderAccount = Provider,
            Token = new TokenSpec { Symbol = $"CHAOS{tag.ToUpperInvariant()}", Name = $"chaos token {tag}", Decimals = 6, TotalSupply = TokenSupply },
            Price = new Price { AmountPerUnit = price, Unit = UsageUnit.Request },
        };
        var registry = new ModelRegistryService.ModelRegistryServiceClient(registryChannel);
        var model = (await Must("setup RegisterModel", request.RequestId, d => registry.RegisterModelAsync(request, As(creator), d, ct).ResponseAsync, ct)).Model;
        // Its sub-DAO and its treasury open from ModelRegistered.
        await Eventually.WaitAsync(async () => await FoundAsync(() => SubDao.GetDaoAsync(new GetDaoRequest { ModelId = model.ModelId }, As(creator), cancellationToken: ct).ResponseAsync),
            found => found, TimeSpan.FromSeconds(60), $"the sub-DAO of model {tag}");
        await Eventually.WaitAsync(async () => await FoundAsync(() => Treasury.GetTreasuryAsync(new GetTreasuryRequest { ModelId = model.ModelId }, As(creator), cancellationToken: ct).ResponseAsync),
            found => found, TimeSpan.FromSeconds(60), $"the treasury of model {tag}");
        return new ChaosModel(model.ModelId, model.Token.Symbol, creator, price);
    }

    private static async Task<bool> FoundAsync<T>(Func<Task<T>> read)
    {
        try
        {
            await read();
            return true;
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.NotFound or StatusCode.Unavailable)
        {
            return false;
        }
    }

    private async Task<T> Must<T>(string operation, string requestId, Func<DateTime, Task<T>> call, CancellationToken ct) where T : class
    {
        var answer = await Retry.CallAsync(operation, requestId, call, ct);
        return answer.Response ?? throw new InvalidOperationException($"{operation} {requestId}: {answer.Refusal?.Status} {answer.Refusal?.Status}");
    }

    // ------------------------------------------------------------------ the load (while the faults run)

    /// <summary>Runs until <paramref name="stopSending"/> is cancelled; requests in flight then finish (retried until answered).</summary>
    public async Task RunAsync(CancellationToken stopSending, CancellationToken ct)
    {
        var workers = new List<Task>();
        for (var i = 0; i < 4; i++)
        {
            var seed = random.Next();
            workers.Add(Task.Run(() => ChargeLoopAsync(new Random(seed), stopSending, ct), ct));
        }
        for (var i = 0; i < 2; i++)
        {
            var seed = random.Next();
            workers.Add(Task.Run(() => TransferLoopAsync(new Random(seed), stopSending, ct), ct));
        }
        var governanceSeed = random.Next();
        workers.Add(Task.Run(() => GovernanceLoopAsync(new Random(governanceSeed), stopSending, ct), ct));
        await Task.WhenAll(workers);
    }

    private async Task ChargeLoopAsync(Random rng, CancellationToken stopSending, CancellationToken ct)
    {
        var acked = new List<AckedCharge>();
        while (!stopSending.IsCancellationRequested)
        {
            SentCharge sent;
            if (acked.Count > 0 && rng.NextDouble() < 0.05)
            {
                // The provider did not see the answer and sends the same request again: the same payment must come back.
                var original = acked[rng.Next(acked.Count)];
                Interlocked.Increment(ref DuplicatesSent);
                var again = await ChargeAsync(original.Request, ct);
                if (again is not null && again.PaymentId != original.PaymentId)
                {
                    DuplicateMismatches.Add($"{original.Request.RequestId}: first {original.PaymentId}, again {again.PaymentId}");
                }
                continue;
            }
            var model = rng.Next(3) == 0 ? ModelB : ModelA;
            sent = new SentCharge(Guid.NewGuid().ToString(), Payers[rng.Next(Payers.Length)], model.ModelId, rng.Next(1, 6));
            ChargesSent.Add(sent);
            if (await ChargeAsync(sent, ct) is { } ack)
            {
                ChargesAcked.Add(ack);
                acked.Add(ack);
            }
        }
    }

    private async Task<AckedCharge?> ChargeAsync(SentCharge charge, CancellationToken ct)
    {
        var request = new ChargeUsageRequest { RequestId = charge.RequestId, ModelId = charge.ModelId, PayerAccount = charge.Payer, Units = charge.Units };
        var answer = await Retry.CallAsync("ChargeUsage", charge.RequestId, d => Gateway.ChargeUsageAsync(request, As(Provider, Roles.Provider), d, ct).ResponseAsync, ct);
        if (answer.Refusal is { } refusal)
        {
            Refusals.Add(new Refusal("ChargeUsage", charge.RequestId, refusal.StatusCode, refusal.Status.Detail));
        }
        return answer.Response is { } response
            ? new AckedCharge(charge, response.Payment.PaymentId, response.Payment.Amount, response.Payment.LedgerTransferId)
            : null;
    }

    private async Task TransferLoopAsync(Random rng, CancellationToken stopSending, CancellationToken ct)
    {
        while (!stopSending.IsCancellationRequested)
        {
            var from = Users[rng.Next(Users.Length)];
            var to = Users[rng.Next(Users.Length)];
            if (from == to)
            {
                continue;
            }
            var sent = new SentTransfer(Guid.NewGuid().ToString(), from, to, rng.Next(1, 1000));
            TransfersSent.Add(sent);
            var request = new TransferRequest { RequestId = sent.RequestId, FromAccount = from, ToAccount = to, Asset = "POV", Amount = sent.Amount, Memo = "chaos" };
            var answer = await Retry.CallAsync("Transfer", sent.RequestId, d => Ledger.TransferAsync(request, As(from), d, ct).ResponseAsync, ct);
            if (answer.Response is not null)
            {
                TransfersAcked.Add(sent);
            }
            else if (answer.Refusal is { } refusal)
            {
                Refusals.Add(new Refusal("Transfer", sent.RequestId, refusal.StatusCode, refusal.Status.Detail));
            }
        }
    }

    private async Task GovernanceLoopAsync(Random rng, CancellationToken stopSending, CancellationToken ct)
    {
        var first = true;
        while (!stopSending.IsCancellationRequested)
        {
            var distribution = first;
            first = false;
            var create = new CreateProposalRequest
            {
                RequestId = Guid.NewGuid().ToString(),
                ModelId = ModelA.ModelId,
                Title = distribution ? "distribute rewards to the holders" : "a signal",
                Actions = { distribution
                    ? new SubDaoAction { DistributeRewards = new DistributeRewardsAction { Amount = DistributionAmount } }
                    : new SubDaoAction { Signal = new SignalAction() } },
            };
            var created = await Retry.CallAsync("CreateProposal", create.RequestId, d => SubDao.CreateProposalAsync(create, As(Voters[0]), d, ct).ResponseAsync, ct);
            if (created.Response is null)
            {
                if (created.Refusal is { } refusal)
                {
                    Refusals.Add(new Refusal("CreateProposal", create.RequestId, refusal.StatusCode, refusal.Status.Detail));
                }
                continue;
            }
            var proposalId = created.Response.Proposal.ProposalId;
            if (distribution)
            {
                DistributionProposalId = proposalId;
            }
            await WaitStateAsync(proposalId, s => s != ProposalState.Pending, ct);
            var votes = Voters.Select(voter => new SentVote(Guid.NewGuid().ToString(), proposalId, voter,
                distribution ? VoteSupport.For : (VoteSupport)rng.Next(1, 4))).ToList();
            Proposals.Add(new ProposalRun(proposalId, distribution, votes.Count));
            await Task.WhenAll(votes.Select(vote => VoteAsync(vote, ct)));
            await WaitStateAsync(proposalId, s => s is not (ProposalState.Pending or ProposalState.Active), ct);
        }
    }

    private async Task VoteAsync(SentVote vote, CancellationToken ct)
    {
        VotesSent.Add(vote);
        var request = new Contracts.SubDao.V1.CastVoteRequest { RequestId = vote.RequestId, ProposalId = vote.ProposalId, Support = vote.Support };
        var answer = await Retry.CallAsync("CastVote", vote.RequestId, d => SubDao.CastVoteAsync(request, As(vote.Voter), d, ct).ResponseAsync, ct);
        if (answer.Response is { } response)
        {
            VotesAcked.Add(new AckedVote(vote, response.Vote.Weight));
        }
        else if (answer.Refusal is { } refusal)
        {
            Refusals.Add(new Refusal("CastVote", vote.RequestId, refusal.StatusCode, refusal.Status.Detail));
        }
    }

    public async Task<SubDaoProposal> WaitStateAsync(string proposalId, Func<ProposalState, bool> done, CancellationToken ct, TimeSpan? timeout = null)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var answer = await Retry.CallAsync("GetProposal", proposalId,
                d => SubDao.GetProposalAsync(new GetProposalRequest { ProposalId = proposalId }, As(Voters[0]), d, ct).ResponseAsync, ct);
            if (answer.Response?.Proposal is { } proposal && done(proposal.State))
            {
                return proposal;
            }
            if (watch.Elapsed > (timeout ?? TimeSpan.FromMinutes(2)))
            {
                throw new TimeoutException($"proposal {proposalId} still {answer.Response?.Proposal?.State}");
            }
            await Task.Delay(200, ct);
        }
    }

    public ValueTask DisposeAsync()
    {
        foreach (var channel in new[] { ledgerChannel, gatewayChannel, registryChannel, subDaoChannel, treasuryChannel })
        {
            channel.Dispose();
        }
        return ValueTask.CompletedTask;
    }
}
