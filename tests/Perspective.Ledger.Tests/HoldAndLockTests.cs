using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Perspective.Contracts.Ledger.V1;
using Perspective.Testing;

namespace Perspective.Ledger.Tests;

public sealed class HoldAndLockTests(TestInfrastructure infrastructure) : LedgerTestBase(infrastructure)
{
    private readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);

    protected override void Configure(WebApplicationBuilder builder) => builder.Services.AddSingleton<TimeProvider>(clock);

    private Timestamp In(TimeSpan span) => Timestamp.FromDateTimeOffset(clock.GetUtcNow() + span);

    private CreateHoldRequest HoldRequest(long amount, TimeSpan expiresIn, string from = "alice", string to = "provider-1") => new()
    {
        RequestId = Guid.NewGuid().ToString(),
        FromAccount = from,
        ToAccount = to,
        Asset = "POV",
        Amount = amount,
        ExpiresAt = In(expiresIn),
        Memo = "metered call",
    };

    private async Task<Balance> FullBalanceAsync(string account) =>
        (await Client.GetBalanceAsync(new GetBalanceRequest { Account = account, Asset = "POV" }, As(account), cancellationToken: Ct)).Balance;

    [Fact]
    public async Task A_hold_reserves_then_posting_moves_part_and_releases_the_rest()
    {
        var hold = (await Client.CreateHoldAsync(HoldRequest(1_000, TimeSpan.FromMinutes(5)), As("alice"), cancellationToken: Ct)).Hold;

        var reserved = await FullBalanceAsync("alice");
        Assert.Equal((AliceGenesis, AliceGenesis - 1_000, 1_000L), (reserved.Total, reserved.Available, reserved.Held));
        Assert.Equal(HoldStatus.Pending, hold.Status);

        var post = new PostHoldRequest { RequestId = Guid.NewGuid().ToString(), HoldId = hold.HoldId, Amount = 600 };
        var posted = await Client.PostHoldAsync(post, As("alice"), cancellationToken: Ct);
        var replay = await Client.PostHoldAsync(post, As("alice"), cancellationToken: Ct);

        Assert.Equal(posted, replay);
        Assert.Equal(HoldStatus.Posted, posted.Hold.Status);
        Assert.Equal(600, posted.Hold.PostedAmount);
        Assert.Equal(600, posted.Transfer.Amount);
        Assert.Equal(TransferKind.HoldPost, posted.Transfer.Kind);
        var after = await FullBalanceAsync("alice");
        Assert.Equal((AliceGenesis - 600, AliceGenesis - 600, 0L), (after.Total, after.Available, after.Held));
        Assert.Equal(600, await BalanceAsync("provider-1"));
        var again = await RejectedAsync(Client.PostHoldAsync(
            new PostHoldRequest { RequestId = Guid.NewGuid().ToString(), HoldId = hold.HoldId, Amount = 1 }, As("alice"), cancellationToken: Ct));
        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
        var stored = (await Client.GetHoldAsync(new GetHoldRequest { HoldId = hold.HoldId }, As("x"), cancellationToken: Ct)).Hold;
        Assert.Equal(posted.Hold, stored);
    }

    [Fact]
    public async Task Posting_more_than_is_held_is_an_invalid_argument()
    {
        var hold = (await Client.CreateHoldAsync(HoldRequest(100, TimeSpan.FromMinutes(5)), As("alice"), cancellationToken: Ct)).Hold;

        var error = await RejectedAsync(Client.PostHoldAsync(
            new PostHoldRequest { RequestId = Guid.NewGuid().ToString(), HoldId = hold.HoldId, Amount = 101 }, As("alice"), cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("amount:", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(100, (await FullBalanceAsync("alice")).Held);
    }

    [Fact]
    public async Task Voiding_a_hold_releases_it_all()
    {
        var hold = (await Client.CreateHoldAsync(HoldRequest(500, TimeSpan.FromMinutes(5)), As("alice"), cancellationToken: Ct)).Hold;

        var voided = await Client.VoidHoldAsync(new VoidHoldRequest { RequestId = Guid.NewGuid().ToString(), HoldId = hold.HoldId }, As("alice"), cancellationToken: Ct);

        Assert.Equal(HoldStatus.Voided, voided.Hold.Status);
        var balance = await FullBalanceAsync("alice");
        Assert.Equal((AliceGenesis, AliceGenesis, 0L), (balance.Total, balance.Available, balance.Held));
    }

    [Fact]
    public async Task Held_value_cannot_be_transferred()
    {
        await Client.CreateHoldAsync(HoldRequest(AliceGenesis - 100, TimeSpan.FromMinutes(5)), As("alice"), cancellationToken: Ct);

        var error = await RejectedAsync(Client.TransferAsync(Pay("alice", "carol", 200), As("alice"), cancellationToken: Ct));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("100 POV base units available", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_hold_voids_itself_and_can_no_longer_be_posted()
    {
        var hold = (await Client.CreateHoldAsync(HoldRequest(300, TimeSpan.FromSeconds(30)), As("alice"), cancellationToken: Ct)).Hold;

        clock.Advance(TimeSpan.FromSeconds(31));

        var expired = await Eventually.WaitAsync(
            async () => (await Client.GetHoldAsync(new GetHoldRequest { HoldId = hold.HoldId }, As("x"), cancellationToken: Ct)).Hold,
            h => h.Status != HoldStatus.Pending, TimeSpan.FromSeconds(30), "the expiry sweep");
        Assert.Equal(HoldStatus.Expired, expired.Status);
        Assert.NotNull(expired.Closed);
        Assert.Equal(0, (await FullBalanceAsync("alice")).Held);
        var error = await RejectedAsync(Client.PostHoldAsync(
            new PostHoldRequest { RequestId = Guid.NewGuid().ToString(), HoldId = hold.HoldId, Amount = 1 }, As("alice"), cancellationToken: Ct));
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("expired", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_the_holds_creator_or_a_service_settles_it()
    {
        var hold = (await Client.CreateHoldAsync(HoldRequest(100, TimeSpan.FromMinutes(5)), As("alice"), cancellationToken: Ct)).Hold;

        var error = await RejectedAsync(Client.PostHoldAsync(
            new PostHoldRequest { RequestId = Guid.NewGuid().ToString(), HoldId = hold.HoldId, Amount = 100 }, As("mallory"), cancellationToken: Ct));
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);

        await Client.PostHoldAsync(new PostHoldRequest { RequestId = Guid.NewGuid().ToString(), HoldId = hold.HoldId, Amount = 100 }, AsService, cancellationToken: Ct);
        Assert.Equal(100, await BalanceAsync("provider-1"));
    }

    [Fact]
    public async Task A_hold_needs_a_future_expiry()
    {
        var past = HoldRequest(10, TimeSpan.FromSeconds(-1));
        var missing = HoldRequest(10, TimeSpan.FromMinutes(1));
        missing.ExpiresAt = null;

        var pastError = await RejectedAsync(Client.CreateHoldAsync(past, As("alice"), cancellationToken: Ct));
        var missingError = await RejectedAsync(Client.CreateHoldAsync(missing, As("alice"), cancellationToken: Ct));

        Assert.Equal((StatusCode.InvalidArgument, StatusCode.InvalidArgument), (pastError.StatusCode, missingError.StatusCode));
        Assert.StartsWith("expires_at:", pastError.Status.Detail, StringComparison.Ordinal);
        Assert.StartsWith("expires_at:", missingError.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, (await FullBalanceAsync("alice")).Held);
    }

    [Fact]
    public async Task Locked_value_cannot_move_until_its_time_then_is_released_and_still_counts_meanwhile()
    {
        var request = new LockRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            Account = "bob",
            Asset = "POV",
            Amount = BobGenesis - 10,
            Until = In(TimeSpan.FromHours(1)),
            Memo = "commitment",
        };
        var locked = (await Client.LockAsync(request, As("bob"), cancellationToken: Ct)).Lock;
        var snapshot = await HeadAsync();

        var move = await RejectedAsync(Client.TransferAsync(Pay("bob", "carol", 11), As("bob"), cancellationToken: Ct));
        Assert.Equal(StatusCode.FailedPrecondition, move.StatusCode);
        var early = await RejectedAsync(Client.UnlockAsync(new UnlockRequest { RequestId = Guid.NewGuid().ToString(), LockId = locked.LockId }, As("bob"), cancellationToken: Ct));
        Assert.Equal(StatusCode.FailedPrecondition, early.StatusCode);
        var balance = await FullBalanceAsync("bob");
        Assert.Equal((BobGenesis, 10L, BobGenesis - 10), (balance.Total, balance.Available, balance.Locked));
        var votingPower = await Client.GetBalanceAtAsync(new GetBalanceAtRequest { Account = "bob", Asset = "POV", Sequence = snapshot }, As("x"), cancellationToken: Ct);
        Assert.Equal(BobGenesis, votingPower.Total);

        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));

        var released = await Eventually.WaitAsync(
            async () => (await Client.GetLockAsync(new GetLockRequest { LockId = locked.LockId }, As("x"), cancellationToken: Ct)).Lock,
            l => l.Status == LockStatus.Released, TimeSpan.FromSeconds(30), "the automatic release");
        Assert.NotNull(released.Released);
        await Client.TransferAsync(Pay("bob", "carol", 11), As("bob"), cancellationToken: Ct);
        var unlockAgain = await Client.UnlockAsync(new UnlockRequest { RequestId = Guid.NewGuid().ToString(), LockId = locked.LockId }, As("bob"), cancellationToken: Ct);
        Assert.Equal(LockStatus.Released, unlockAgain.Lock.Status);
        var locks = await Client.ListLocksAsync(new ListLocksRequest { Account = "bob" }, As("x"), cancellationToken: Ct);
        Assert.Equal([locked.LockId], locks.Locks.Select(l => l.LockId));
    }

    [Fact]
    public async Task Nobody_locks_another_accounts_value()
    {
        var error = await RejectedAsync(Client.LockAsync(new LockRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            Account = "alice",
            Asset = "POV",
            Amount = 1,
            Until = In(TimeSpan.FromHours(1)),
        }, As("mallory"), cancellationToken: Ct));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal(0, (await FullBalanceAsync("alice")).Locked);
    }
}
