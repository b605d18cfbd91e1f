using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Platform.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.Contracts.SubDao.V1;
using Perspective.Contracts.Treasury.V1;
using Perspective.ServiceDefaults.Auth;
using PlatformCreate = Perspective.Contracts.Platform.V1.CreateProposalRequest;
using PlatformGet = Perspective.Contracts.Platform.V1.GetProposalRequest;
using PlatformVote = Perspective.Contracts.Platform.V1.CastVoteRequest;
using SubDaoCreate = Perspective.Contracts.SubDao.V1.CreateProposalRequest;
using SubDaoGet = Perspective.Contracts.SubDao.V1.GetProposalRequest;
using SubDaoVote = Perspective.Contracts.SubDao.V1.CastVoteRequest;

namespace Perspective.Demo;

/// <summary>
/// The seed's story, end to end, through the public gRPC API of the six services with development tokens: genesis
/// POV, a model and its AI token, distribution, a lock, an over-the-counter sale, usage charges, two sub-DAO votes (a
/// fee change; a treasury spend and control rewards), two platform votes (a standard; a ban), the journal check and
/// the conservation of every asset. Every run uses fresh accounts and a fresh model, so it can run again on one stack.
/// </summary>
public sealed class DemoStory
{
    /// <summary>One POV in base units (6 decimals).</summary>
    public const long Pov = 1_000_000;

    public const string PovAsset = "POV";
    public const long UserFunding = 100 * Pov;
    public const long BuyerFunding = 300 * Pov;
    public const long TokenSupply = 1_000_000;
    public const long FirstFee = 2 * Pov;
    public const long DataProviderAShare = 100_000;
    public const long DataProviderBShare = 50_000;
    public const long Locked = 200_000;
    public const long SoldTokens = 50_000;
    public const long SalePrice = 250 * Pov;
    public const long AllowanceCap = 50 * Pov;
    public const long FirstChargeUnits = 3;
    public const long NewFee = 3 * Pov;
    public const long SecondChargeUnits = 2;
    public const long SpendAmount = 4 * Pov;
    public const long RewardsAmount = 5 * Pov;
    public const string StandardTitle = "Model cards for listed models";

    /// <summary>The genesis accounts of deploy/local/genesis.json; alice and bob are the platform's voters.</summary>
    public static readonly IReadOnlyList<string> GenesisAccounts = ["alice", "bob", "carol", "provider-1", "platform:reserve"];

    private static readonly TimeSpan EventWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan VoteWait = TimeSpan.FromSeconds(90);

    private readonly IStoryClock clock;
    private readonly IStoryOutput output;
    private readonly CancellationToken ct;
    private readonly DevTokens tokens;
    private readonly DemoCast cast;
    private readonly LedgerService.LedgerServiceClient ledger;
    private readonly ModelRegistryService.ModelRegistryServiceClient registry;
    private readonly UsageGatewayService.UsageGatewayServiceClient gateway;
    private readonly SubDaoGovernanceService.SubDaoGovernanceServiceClient subDao;
    private readonly PlatformGovernanceService.PlatformGovernanceServiceClient platform;
    private readonly TreasuryService.TreasuryServiceClient treasury;

    private DemoStory(IReadOnlyList<GrpcChannel> channels, DemoEndpoints endpoints, IStoryClock clock, IStoryOutput output, CancellationToken ct)
    {
        this.clock = clock;
        this.output = output;
        this.ct = ct;
        tokens = new DevTokens(endpoints.SigningKey);
        cast = new DemoCast(Guid.NewGuid().ToString("N")[..6]);
        ledger = new(channels[0]);
        registry = new(channels[1]);
        gateway = new(channels[2]);
        subDao = new(channels[3]);
        platform = new(channels[4]);
        treasury = new(channels[5]);
    }

    public static async Task<DemoResult> RunAsync(DemoEndpoints endpoints, IStoryClock clock, IStoryOutput output, CancellationToken ct)
    {
        var channels = endpoints.All.Select(e => GrpcChannel.ForAddress(e.Address)).ToList();
        try
        {
            return await new DemoStory(channels, endpoints, clock, output, ct).RunAsync();
        }
        finally
        {
            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }
    }

    private Metadata User(string account) => tokens.As(account, Roles.User);

    private Metadata Anyone => tokens.As("demo-reader", Roles.User);

    private static string Id() => Guid.NewGuid().ToString();

    private async Task<DemoResult> RunAsync()
    {
        var watch = Stopwatch.StartNew();

        // ---- 1. Genesis ------------------------------------------------------------------------------------------
        output.Chapter(1, "Genesis: POV, the platform token");
        var pov = (await ledger.GetAssetAsync(new GetAssetRequest { Code = PovAsset }, Anyone, cancellationToken: ct)).Asset;
        output.Say($"The Ledger minted {Amount(pov.TotalSupply, pov.Decimals)} {pov.Code} ({pov.Name}) at its first start (deploy/local/genesis.json).");
        var genesisRows = new List<IReadOnlyList<string>>();
        foreach (var account in GenesisAccounts)
        {
            genesisRows.Add([account, Povs(await TotalAsync(account, PovAsset))]);
        }
        output.Table(new StoryTable("POV of the genesis accounts now", ["account", "POV"], genesisRows));
        output.Say($"This run's cast has fresh names (tag {cast.Tag}), so the story can run again on the same stack:");
        output.Say($"  developer {cast.Developer}, provider {cast.Provider}, data providers {cast.DataProviderA} and {cast.DataProviderB}, "
            + $"user {cast.User}, buyer {cast.Buyer}.");
        await TransferAsync("alice", cast.User, PovAsset, UserFunding, "demo: POV to pay for usage");
        await TransferAsync("alice", cast.Buyer, PovAsset, BuyerFunding, "demo: POV to buy AI tokens");
        output.Say($"alice sends {Povs(UserFunding)} POV to {cast.User} and {Povs(BuyerFunding)} POV to {cast.Buyer}.");

        // ---- 2. A model and its AI token ------------------------------------------------------------------------
        output.Chapter(2, "A developer registers a model");
        var model = (await registry.RegisterModelAsync(new RegisterModelRequest
        {
            RequestId = Id(),
            Name = cast.ModelName,
            Description = "A demo model: summaries of scientific papers.",
            ProviderAccount = cast.Provider,
            Token = new TokenSpec { Symbol = cast.Symbol, Name = $"{cast.ModelName} token", Decimals = 0, TotalSupply = TokenSupply },
            Price = new Price { AmountPerUnit = FirstFee, Unit = UsageUnit.Request },
        }, User(cast.Developer), cancellationToken: ct)).Model;
        var modelId = model.ModelId;
        var token = model.Token.Symbol;
        output.Table(new StoryTable($"Model {model.Name}", ["field", "value"],
        [
            ["model id", modelId],
            ["status", Status(model.Status)],
            ["creator", model.CreatorAccount],
            ["provider", model.ProviderAccount],
            ["AI token", $"{token}, supply {Tokens(model.Token.TotalSupply)}, {model.Token.Decimals} decimals"],
            ["price", $"{Povs(model.Price.AmountPerUnit)} POV per request"],
            ["treasury", model.TreasuryAccount],
        ]));
        output.Say($"{cast.Developer} receives the whole supply: {Tokens(await TotalAsync(cast.Developer, token))} {token}.");
        var dao = await clock.WaitAsync(new StoryWait<ModelDao?>("the model's sub-DAO (ModelRegistered → SubDaoGovernance)",
            async c => await FindAsync(async () => (await subDao.GetDaoAsync(new Perspective.Contracts.SubDao.V1.GetDaoRequest { ModelId = modelId }, Anyone, cancellationToken: c)).Dao),
            d => d is not null, _ => null, d => d is null ? "not created yet" : "created", EventWait), ct);
        output.Say($"Its sub-DAO is open: voting asset {dao!.VotingAsset}, {Settings(dao.Settings)}.");

        // ---- 3. Distribution, lock, over-the-counter sale ----------------------------------------------------
        output.Chapter(3, "The developer distributes, locks and sells AI tokens");
        await TransferAsync(cast.Developer, cast.DataProviderA, token, DataProviderAShare, "data contribution");
        await TransferAsync(cast.Developer, cast.DataProviderB, token, DataProviderBShare, "data contribution");
        output.Say($"{Tokens(DataProviderAShare)} {token} to {cast.DataProviderA} and {Tokens(DataProviderBShare)} to {cast.DataProviderB} for their data.");
        var lockUntil = clock.UtcNow.AddDays(90);
        var tokenLock = (await ledger.LockAsync(new LockRequest
        {
            RequestId = Id(),
            Account = cast.Developer,
            Asset = token,
            Amount = Locked,
            Until = Timestamp.FromDateTimeOffset(lockUntil),
            Memo = "creator commitment",
        }, User(cast.Developer), cancellationToken: ct)).Lock;
        output.Say($"{cast.Developer} locks {Tokens(Locked)} {token} until {lockUntil:yyyy-MM-dd} (locked tokens still vote and earn rewards).");
        var offer = (await ledger.CreateSwapOfferAsync(new CreateSwapOfferRequest
        {
            RequestId = Id(),
            MakerAccount = cast.Developer,
            GiveAsset = token,
            GiveAmount = SoldTokens,
            WantAsset = PovAsset,
            WantAmount = SalePrice,
            CounterpartyAccount = cast.Buyer,
            ExpiresAt = Timestamp.FromDateTimeOffset(clock.UtcNow.AddHours(1)),
            Memo = "over-the-counter sale",
        }, User(cast.Developer), cancellationToken: ct)).Offer;
        output.Say($"Swap offer {offer.OfferId}: {Tokens(SoldTokens)} {token} for {Povs(SalePrice)} POV, for {cast.Buyer} only ({SwapStatus(offer.Status)}).");
        var accepted = await ledger.AcceptSwapOfferAsync(new AcceptSwapOfferRequest { RequestId = Id(), OfferId = offer.OfferId, TakerAccount = cast.Buyer },
            User(cast.Buyer), cancellationToken: ct);
        output.Say($"{cast.Buyer} accepts: {SwapStatus(accepted.Offer.Status)}, {accepted.Transfers.Count} transfers in journal entry {accepted.Offer.Closed.Sequence}.");
        output.Table(await BalanceTableAsync($"{token} and POV after the sale",
            [cast.Developer, cast.DataProviderA, cast.DataProviderB, cast.Buyer], token));

        // ---- 4. Usage -------------------------------------------------------------------------------------------
        output.Chapter(4, "A user pays for usage");
        var allowance = (await gateway.SetAllowanceAsync(new SetAllowanceRequest
        {
            RequestId = Id(),
            ModelId = modelId,
            CapAmount = AllowanceCap,
            ExpiresAt = Timestamp.FromDateTimeOffset(clock.UtcNow.AddDays(30)),
        }, User(cast.User), cancellationToken: ct)).Allowance;
        output.Say($"{cast.User} allows the model to charge up to {Povs(allowance.CapAmount)} POV within 30 days.");
        var payments = new List<string>();
        var first = await ChargeAsync(modelId, FirstChargeUnits);
        payments.Add(first.Payment.PaymentId);
        await WaitRevenueAsync(modelId, first.Payment.Amount, 1);

        // ---- 5. Sub-DAO: a fee change ---------------------------------------------------------------------------
        output.Chapter(5, "The sub-DAO votes a fee change");
        var fee = await SubDaoProposalAsync(cast.Developer, modelId, $"Raise the fee to {Povs(NewFee)} POV per request",
            [new SubDaoAction { SetUsageFee = new SetUsageFeeAction { AmountPerUnit = NewFee } }],
            [(cast.Developer, VoteSupport.For), (cast.DataProviderA, VoteSupport.For), (cast.DataProviderB, VoteSupport.Against), (cast.Buyer, VoteSupport.Abstain)]);
        await clock.WaitAsync(new StoryWait<GetModelQuoteResponse>("the gateway to see the new price (ModelPricingChanged)",
            async c => await gateway.GetModelQuoteAsync(new GetModelQuoteRequest { ModelId = modelId, Units = 1 }, tokens.As(cast.Provider, Roles.Provider), cancellationToken: c),
            q => q.AmountPerUnit == NewFee, _ => null, q => $"{Povs(q.AmountPerUnit)} POV per request", EventWait), ct);
        var second = await ChargeAsync(modelId, SecondChargeUnits);
        payments.Add(second.Payment.PaymentId);
        await WaitRevenueAsync(modelId, checked(first.Payment.Amount + second.Payment.Amount), 2);

        // ---- 6. Sub-DAO: treasury spend and control rewards ---------------------------------------------------
        output.Chapter(6, "The sub-DAO pays a data provider and distributes control rewards");
        var spend = await SubDaoProposalAsync(cast.DataProviderA, modelId, "Pay for a dataset licence and share revenue with holders",
        [
            new SubDaoAction { TreasurySpend = new TreasurySpendAction { RecipientAccount = cast.DataProviderB, Amount = SpendAmount, Purpose = "dataset licence" } },
            new SubDaoAction { DistributeRewards = new DistributeRewardsAction { Amount = RewardsAmount } },
        ],
            [(cast.Developer, VoteSupport.For), (cast.DataProviderA, VoteSupport.For)]);
        var payout = (await treasury.ListPayoutsAsync(new ListPayoutsRequest { ModelId = modelId }, Anyone, cancellationToken: ct)).Payouts.Single();
        output.Say($"Payout: {Povs(payout.Amount)} POV to {payout.RecipientAccount} for \"{payout.Purpose}\", {payout.Status.ToString().ToUpperInvariant()} "
            + $"in journal entry {payout.LedgerSequence}.");
        var distribution = (await treasury.ListDistributionsAsync(new ListDistributionsRequest { ModelId = modelId }, Anyone, cancellationToken: ct)).Distributions.Single();
        var lines = (await treasury.ListDistributionLinesAsync(new ListDistributionLinesRequest { DistributionId = distribution.DistributionId, PageSize = 1000 },
            Anyone, cancellationToken: ct)).Lines;
        output.Table(new StoryTable(
            $"Control rewards: {Povs(distribution.Amount)} POV pro rata to {token} holders at snapshot {distribution.SnapshotSequence} ({distribution.Status.ToString().ToUpperInvariant()})",
            ["holder", $"{token} at snapshot", "share of supply", "POV paid"],
            [.. lines.Select(l => (IReadOnlyList<string>)[l.HolderAccount, Tokens(l.HolderBalance),
                Percent(l.HolderBalance, distribution.SupplyHeld), Povs(l.Share)])]));
        var treasuryState = (await treasury.GetTreasuryAsync(new GetTreasuryRequest { ModelId = modelId }, Anyone, cancellationToken: ct)).Treasury;
        output.Say($"Treasury {treasuryState.TreasuryAccount}: revenue {Povs(treasuryState.LifetimeRevenue)} POV from {treasuryState.PaymentCount} payments, "
            + $"paid out {Povs(treasuryState.PaidOut)}, distributed {Povs(treasuryState.Distributed)}, balance {Povs(treasuryState.Balance)} POV.");

        // ---- 7. Platform DAO: a standard, then a ban -----------------------------------------------------------
        output.Chapter(7, "The platform DAO publishes a standard, then bans the model");
        const string standardText = "Every listed model publishes a model card: intended use, training data sources, known limits.\n";
        var standardProposal = await PlatformProposalAsync("alice", "Publish the model-card standard",
            [new PlatformAction { PublishStandard = new PublishStandardAction
            {
                Title = StandardTitle,
                Version = cast.StandardVersion,
                Text = standardText,
                TextDigest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(standardText))),
            } }],
            [("alice", VoteSupport.For), ("bob", VoteSupport.For)]);
        var standard = (await platform.ListStandardsAsync(new ListStandardsRequest { Title = StandardTitle, PageSize = 1000 }, Anyone, cancellationToken: ct))
            .Standards.Single(s => s.ProposalId == standardProposal.ProposalId);
        output.Say($"Standard \"{standard.Title}\" {standard.Version} published ({standard.StandardId}, digest {standard.TextDigest[..16]}…).");
        var ban = await PlatformProposalAsync("bob", $"Ban {cast.ModelName}: no model card",
            [new PlatformAction { BanModel = new BanModelAction { ModelId = modelId, Reason = $"no model card under \"{StandardTitle}\" {cast.StandardVersion}" } }],
            [("alice", VoteSupport.For), ("bob", VoteSupport.For), ("carol", VoteSupport.Against)]);
        await clock.WaitAsync(new StoryWait<GetModelQuoteResponse>("the gateway to see the ban (ModelStatusChanged)",
            async c => await gateway.GetModelQuoteAsync(new GetModelQuoteRequest { ModelId = modelId, Units = 1 }, tokens.As(cast.Provider, Roles.Provider), cancellationToken: c),
            q => q.Status == ModelStatus.Banned, _ => null, q => Status(q.Status), EventWait), ct);
        var refused = await Assert.RefusedAsync(gateway.ChargeUsageAsync(new ChargeUsageRequest
        {
            RequestId = Id(),
            ModelId = modelId,
            PayerAccount = cast.User,
            Units = 1,
        }, tokens.As(cast.Provider, Roles.Provider), cancellationToken: ct));
        output.Say($"The next charge is refused: {refused.StatusCode} \"{refused.Status.Detail}\".");

        // ---- 8. Journal ----------------------------------------------------------------------------------------
        output.Chapter(8, "The journal verifies");
        var head = await ledger.GetHeadAsync(new GetHeadRequest(), Anyone, cancellationToken: ct);
        var verify = await ledger.VerifyJournalAsync(new VerifyJournalRequest { FromSequence = 1, ToSequence = head.Sequence }, Anyone, cancellationToken: ct);
        output.Say(verify.Valid
            ? $"VerifyJournal 1..{verify.ToSequence}: valid, {verify.EntriesChecked} entries, head hash {head.Hash[..16]}…"
            : $"VerifyJournal 1..{verify.ToSequence}: BROKEN at {verify.FirstMismatch.Sequence}: {verify.FirstMismatch.Reason}");

        // ---- 9. Balances and conservation ---------------------------------------------------------------------
        output.Chapter(9, "Every balance, and each asset sums to zero");
        var named = new List<string>(GenesisAccounts)
        {
            cast.Developer, cast.DataProviderA, cast.DataProviderB, cast.User, cast.Buyer, cast.Provider, model.TreasuryAccount,
        };
        var sums = new List<AssetSum>();
        foreach (var asset in new[] { PovAsset, token })
        {
            var (sum, table) = await ConservationAsync(asset, head.Sequence, named);
            sums.Add(sum);
            output.Table(table);
        }
        var balanced = sums.All(s => s.Sum == 0 && s.HoldersTotal == s.Supply);
        output.Say(balanced
            ? $"Σ balances = 0 for {string.Join(" and ", sums.Select(s => s.Asset))} at journal entry {head.Sequence}. The story took {watch.Elapsed.TotalSeconds:0.0} s."
            : "CONSERVATION BROKEN: " + string.Join("; ", sums.Select(s => $"{s.Asset} Σ = {s.Sum}, holders {s.HoldersTotal}, supply {s.Supply}")));

        return new DemoResult(cast, modelId, model.TreasuryAccount, tokenLock.LockId, offer.OfferId, payments, fee.ProposalId, spend.ProposalId,
            standardProposal.ProposalId, standard.StandardId, ban.ProposalId, refused.StatusCode, refused.Status.Detail, head.Sequence, verify.Valid,
            verify.EntriesChecked, sums, watch.Elapsed);
    }

    // ------------------------------------------------------------------------------------------------ steps

    private async Task TransferAsync(string from, string to, string asset, long amount, string memo) =>
        await ledger.TransferAsync(new TransferRequest { RequestId = Id(), FromAccount = from, ToAccount = to, Asset = asset, Amount = amount, Memo = memo },
            User(from), cancellationToken: ct);

    private async Task<long> TotalAsync(string account, string asset) =>
        (await ledger.GetBalanceAsync(new GetBalanceRequest { Account = account, Asset = asset }, Anyone, cancellationToken: ct)).Balance.Total;

    private async Task<ChargeUsageResponse> ChargeAsync(string modelId, long units)
    {
        var charge = await gateway.ChargeUsageAsync(new ChargeUsageRequest { RequestId = Id(), ModelId = modelId, PayerAccount = cast.User, Units = units },
            tokens.As(cast.Provider, Roles.Provider), cancellationToken: ct);
        output.Say($"{cast.Provider} charges {units} requests at {Povs(charge.Payment.AmountPerUnit)} POV: {Povs(charge.Payment.Amount)} POV from {cast.User} "
            + $"to {charge.Payment.TreasuryAccount} (journal entry {charge.Payment.LedgerSequence}); allowance used {Povs(charge.Allowance.UsedAmount)} "
            + $"of {Povs(charge.Allowance.CapAmount)}.");
        return charge;
    }

    private async Task WaitRevenueAsync(string modelId, long revenue, long payments)
    {
        var state = await clock.WaitAsync(new StoryWait<ModelTreasury?>("the treasury to count the payment (UsagePaid → Treasury)",
            async c => await FindAsync(async () => (await treasury.GetTreasuryAsync(new GetTreasuryRequest { ModelId = modelId }, Anyone, cancellationToken: c)).Treasury),
            t => t is not null && t.LifetimeRevenue == revenue && t.PaymentCount == payments, _ => null,
            t => t is null ? "no treasury yet" : $"{Povs(t.LifetimeRevenue)} POV from {Payments(t.PaymentCount)}", EventWait), ct);
        output.Say($"The treasury counted it: revenue {Povs(state!.LifetimeRevenue)} POV from {Payments(state.PaymentCount)}, balance {Povs(state.Balance)} POV.");
    }

    private async Task<SubDaoProposal> SubDaoProposalAsync(string proposer, string modelId, string title, IReadOnlyList<SubDaoAction> actions,
        IReadOnlyList<(string Voter, VoteSupport Support)> votes)
    {
        var request = new SubDaoCreate { RequestId = Id(), ModelId = modelId, Title = title, Description = "Proposed by the demo." };
        request.Actions.AddRange(actions);
        var proposal = (await subDao.CreateProposalAsync(request, User(proposer), cancellationToken: ct)).Proposal;
        output.Say($"{proposer} proposes \"{title}\" ({proposal.ProposalId}), snapshot at journal entry {proposal.SnapshotSequence}.");
        Task<SubDaoProposal> Get(CancellationToken c) => GetSubDaoAsync(proposal.ProposalId, c);
        await clock.WaitAsync(new StoryWait<SubDaoProposal>("voting to open", Get, p => Open(p.Timeline), p => p.Timeline.VotingStartsAt.ToDateTimeOffset(),
            p => Open(p.Timeline) ? "open" : State(p.State), VoteWait), ct);
        foreach (var (voter, support) in votes)
        {
            await subDao.CastVoteAsync(new SubDaoVote { RequestId = Id(), ProposalId = proposal.ProposalId, Support = support }, User(voter), cancellationToken: ct);
        }
        var decided = await clock.WaitAsync(new StoryWait<SubDaoProposal>("the vote, the timelock and the execution", Get, p => Final(p.State),
            p => NextDue(p.State, p.Timeline), p => Stage(p.State, p.Timeline), VoteWait), ct);
        output.Table(TallyTable(decided.Tally, decided.SnapshotSequence, decided.State, decided.FailureReason,
            await SubDaoVotesAsync(proposal.ProposalId)));
        return decided;
    }

    private async Task<PlatformProposal> PlatformProposalAsync(string proposer, string title, IReadOnlyList<PlatformAction> actions,
        IReadOnlyList<(string Voter, VoteSupport Support)> votes)
    {
        var request = new PlatformCreate { RequestId = Id(), Title = title, Description = "Proposed by the demo." };
        request.Actions.AddRange(actions);
        var proposal = (await platform.CreateProposalAsync(request, User(proposer), cancellationToken: ct)).Proposal;
        output.Say($"{proposer} proposes \"{title}\" ({proposal.ProposalId}), snapshot at journal entry {proposal.SnapshotSequence}.");
        Task<PlatformProposal> Get(CancellationToken c) => GetPlatformAsync(proposal.ProposalId, c);
        await clock.WaitAsync(new StoryWait<PlatformProposal>("voting to open", Get, p => Open(p.Timeline), p => p.Timeline.VotingStartsAt.ToDateTimeOffset(),
            p => Open(p.Timeline) ? "open" : State(p.State), VoteWait), ct);
        foreach (var (voter, support) in votes)
        {
            await platform.CastVoteAsync(new PlatformVote { RequestId = Id(), ProposalId = proposal.ProposalId, Support = support }, User(voter), cancellationToken: ct);
        }
        var decided = await clock.WaitAsync(new StoryWait<PlatformProposal>("the vote, the timelock and the execution", Get, p => Final(p.State),
            p => NextDue(p.State, p.Timeline), p => Stage(p.State, p.Timeline), VoteWait), ct);
        var votesCast = (await platform.ListVotesAsync(new Perspective.Contracts.Platform.V1.ListVotesRequest { ProposalId = proposal.ProposalId, PageSize = 100 }, Anyone, cancellationToken: ct)).Votes;
        output.Table(TallyTable(decided.Tally, decided.SnapshotSequence, decided.State, decided.FailureReason, votesCast));
        return decided;
    }

    private async Task<SubDaoProposal> GetSubDaoAsync(string id, CancellationToken c) =>
        (await subDao.GetProposalAsync(new SubDaoGet { ProposalId = id }, Anyone, cancellationToken: c)).Proposal;

    private async Task<PlatformProposal> GetPlatformAsync(string id, CancellationToken c) =>
        (await platform.GetProposalAsync(new PlatformGet { ProposalId = id }, Anyone, cancellationToken: c)).Proposal;

    private async Task<IReadOnlyList<Vote>> SubDaoVotesAsync(string id) =>
        (await subDao.ListVotesAsync(new Perspective.Contracts.SubDao.V1.ListVotesRequest { ProposalId = id, PageSize = 100 }, Anyone, cancellationToken: ct)).Votes;

    /// <summary>Voting is open by the service's clock from voting_starts_at, whether or not the scheduler marked it Active.</summary>
    private bool Open(ProposalTimeline timeline) => clock.UtcNow >= timeline.VotingStartsAt.ToDateTimeOffset();

    private static bool Final(ProposalState state) => state is ProposalState.Executed or ProposalState.ExecutionFailed or ProposalState.Defeated
        or ProposalState.Expired or ProposalState.Canceled;

    /// <summary>When the proposal's next step is due by time; null when it waits for an answer (an execution in progress).</summary>
    private static DateTimeOffset? NextDue(ProposalState state, ProposalTimeline timeline) => state switch
    {
        ProposalState.Pending => timeline.VotingStartsAt.ToDateTimeOffset(),
        ProposalState.Active => timeline.VotingEndsAt.ToDateTimeOffset(),
        ProposalState.Succeeded or ProposalState.Queued when timeline.ExecutionRequestedAt is null => timeline.ExecutableAt.ToDateTimeOffset(),
        _ => null,
    };

    /// <summary>The state and what the proposal waits for, for the progress display.</summary>
    private static string Stage(ProposalState state, ProposalTimeline timeline) => state switch
    {
        ProposalState.Pending => "PENDING (voting is open; the scheduler marks it ACTIVE)",
        ProposalState.Active => "ACTIVE (voting)",
        ProposalState.Succeeded => "SUCCEEDED (timelock)",
        ProposalState.Queued when timeline.ExecutionRequestedAt is null => "QUEUED (timelock)",
        ProposalState.Queued => "QUEUED (execution requested; waiting for the services' answers)",
        _ => State(state),
    };

    private static StoryTable TallyTable(Tally tally, long snapshot, ProposalState state, string failure, IReadOnlyList<Vote> votes)
    {
        var rows = votes.OrderBy(v => v.Ordinal).Select(v => (IReadOnlyList<string>)[v.VoterAccount, Support(v.Support), Number(v.Weight)]).ToList();
        rows.Add(["for / against / abstain", "", $"{Number(tally.ForWeight)} / {Number(tally.AgainstWeight)} / {Number(tally.AbstainWeight)}"]);
        rows.Add([$"quorum (supply {Number(tally.SupplyAtSnapshot)} at {snapshot})", tally.QuorumReached ? "reached" : "missed", Number(tally.QuorumWeight)]);
        rows.Add(["threshold", tally.ThresholdReached ? "reached" : "missed", Outcome(tally.Outcome)]);
        rows.Add(["result", State(state), failure]);
        return new StoryTable("Votes and tally", ["voter", "vote", "weight"], rows);
    }

    private async Task<StoryTable> BalanceTableAsync(string title, IReadOnlyList<string> accounts, string token)
    {
        var rows = new List<IReadOnlyList<string>>();
        foreach (var account in accounts)
        {
            var t = (await ledger.GetBalanceAsync(new GetBalanceRequest { Account = account, Asset = token }, Anyone, cancellationToken: ct)).Balance;
            rows.Add([account, Tokens(t.Total), Tokens(t.Available), Tokens(t.Locked), Povs(await TotalAsync(account, PovAsset))]);
        }
        return new StoryTable(title, ["account", $"{token} total", "available", "locked", "POV"], rows);
    }

    /// <summary>
    /// Every holder of the asset at one journal sequence (ListHolders, paged), the issuance account's balance and the
    /// supply there: the holders add up to the supply and, with the issuance account, to zero.
    /// </summary>
    private async Task<(AssetSum Sum, StoryTable Table)> ConservationAsync(string asset, long sequence, IReadOnlyList<string> named)
    {
        var holders = new List<Holder>();
        var page = "";
        do
        {
            var response = await ledger.ListHoldersAsync(new ListHoldersRequest { Asset = asset, Sequence = sequence, PageSize = 1000, PageToken = page },
                Anyone, cancellationToken: ct);
            holders.AddRange(response.Holders);
            page = response.NextPageToken;
        }
        while (page.Length > 0);
        var issuanceAccount = $"issuance:{asset}";
        var issuance = (await ledger.GetBalanceAtAsync(new GetBalanceAtRequest { Account = issuanceAccount, Asset = asset, Sequence = sequence }, Anyone,
            cancellationToken: ct)).Total;
        var supply = (await ledger.GetSupplyAtAsync(new GetSupplyAtRequest { Asset = asset, Sequence = sequence }, Anyone, cancellationToken: ct)).Supply;
        var decimals = asset == PovAsset ? 6 : 0;
        var total = 0L;
        foreach (var holder in holders)
        {
            total = checked(total + holder.Balance);
        }
        var rows = new List<IReadOnlyList<string>>();
        var shown = 0L;
        foreach (var holder in holders.Where(h => named.Contains(h.Account, StringComparer.Ordinal)))
        {
            rows.Add([holder.Account, Amount(holder.Balance, decimals)]);
            shown = checked(shown + holder.Balance);
        }
        var others = holders.Count(h => !named.Contains(h.Account, StringComparer.Ordinal));
        if (others > 0)
        {
            rows.Add([$"{others} other holders (earlier runs)", Amount(total - shown, decimals)]);
        }
        rows.Add([issuanceAccount, Amount(issuance, decimals)]);
        var sum = new AssetSum(asset, sequence, total, holders.Count, issuance, supply);
        rows.Add(["Σ", Amount(sum.Sum, decimals)]);
        output.Say($"{asset} at journal entry {sequence}: {holders.Count} holders hold the supply of {Amount(supply, decimals)}; issuance:{asset} is its negative.");
        return (sum, new StoryTable($"{asset} balances", ["account", asset], rows));
    }

    /// <summary>Null for NOT_FOUND (not created yet: an event is on its way), the value otherwise.</summary>
    private static async Task<T?> FindAsync<T>(Func<Task<T>> read) where T : class
    {
        try
        {
            return await read();
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    // ------------------------------------------------------------------------------------------------ formatting

    public static string Amount(long baseUnits, int decimals)
    {
        if (decimals == 0)
        {
            return baseUnits.ToString("N0", CultureInfo.InvariantCulture);
        }
        var scale = (decimal)Math.Pow(10, decimals);
        return (baseUnits / scale).ToString("#,0.######", CultureInfo.InvariantCulture);
    }

    private static string Povs(long baseUnits) => Amount(baseUnits, 6);

    private static string Tokens(long baseUnits) => Amount(baseUnits, 0);

    private static string Payments(long count) => count == 1 ? "1 payment" : $"{count} payments";

    private static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Percent(long part, long whole) => whole == 0 ? "-" : (100m * part / whole).ToString("0.##", CultureInfo.InvariantCulture) + " %";

    private static string Settings(GovernanceSettings s) =>
        $"voting delay {s.VotingDelaySeconds} s, voting {s.VotingPeriodSeconds} s, quorum {s.QuorumBps / 100m:0.##} %, threshold {s.PassThresholdBps / 100m:0.##} %, timelock {s.ExecutionDelaySeconds} s";

    private static string Status(ModelStatus status) => status.ToString().ToUpperInvariant();

    private static string SwapStatus(SwapOfferStatus status) => status.ToString().ToUpperInvariant();

    private static string State(ProposalState state) => state.ToString().ToUpperInvariant();

    private static string Outcome(TallyOutcome outcome) => outcome.ToString().ToUpperInvariant();

    private static string Support(VoteSupport support) => support.ToString().ToUpperInvariant();

    private static class Assert
    {
        /// <summary>The call's refusal; a call that succeeds where the story expects a refusal is a broken platform.</summary>
        public static async Task<RpcException> RefusedAsync<T>(AsyncUnaryCall<T> call)
        {
            try
            {
                await call.ResponseAsync;
            }
            catch (RpcException ex)
            {
                return ex;
            }
            throw new InvalidOperationException("the charge after the ban was accepted; a banned model must refuse every charge");
        }
    }
}
