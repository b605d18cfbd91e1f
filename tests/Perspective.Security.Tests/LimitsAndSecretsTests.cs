using System.Text.RegularExpressions;
using Dapper;
using Grpc.Core;
using Npgsql;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.ServiceDefaults;
using Perspective.ServiceDefaults.Auth;
using Perspective.Testing;

namespace Perspective.Security.Tests;

/// <summary>Request size limit, deadlines, and no secret in logs or status messages.</summary>
public sealed partial class LimitsAndSecretsTests(SecurityPlatform platform)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private LedgerService.LedgerServiceClient Ledger => new(platform.Ledger.Channel);

    [Fact]
    public async Task A_request_over_the_size_limit_is_resource_exhausted_and_changes_nothing()
    {
        var alice = TestTokens.Bearer("alice", Roles.User);
        var head = await Ledger.GetHeadAsync(new GetHeadRequest(), alice, cancellationToken: Ct);
        var balance = (await Ledger.GetBalanceAsync(new GetBalanceRequest { Account = "alice", Asset = "POV" }, alice, cancellationToken: Ct)).Balance.Total;
        var huge = new TransferRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            FromAccount = "alice",
            ToAccount = "bob",
            Asset = "POV",
            Amount = 1,
            Memo = new string('m', ServiceDefaultsExtensions.MaxMessageBytes + 1),
        };

        var error = await Assert.ThrowsAsync<RpcException>(() => Ledger.TransferAsync(huge, alice, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(head.Sequence, (await Ledger.GetHeadAsync(new GetHeadRequest(), alice, cancellationToken: Ct)).Sequence);
        Assert.Equal(balance, (await Ledger.GetBalanceAsync(new GetBalanceRequest { Account = "alice", Asset = "POV" }, alice, cancellationToken: Ct)).Balance.Total);
        Assert.Equal(4 * 1024 * 1024, ServiceDefaultsExtensions.MaxMessageBytes);
    }

    [Fact]
    public async Task A_call_with_a_one_millisecond_deadline_ends_deadline_exceeded()
    {
        await using var locked = await LockedAllowanceAsync();

        var requestId = Guid.NewGuid().ToString();
        var error = await Assert.ThrowsAsync<RpcException>(() => locked.RevokeAsync(DateTime.UtcNow.AddMilliseconds(1), requestId));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        // A timed-out call's outcome is unknown to the client: the server may have taken it just before it gave up (a
        // race measured in CI). What it must guarantee is that the retry with the same request id ends it exactly once.
        await locked.ReleaseAsync();
        var retried = await locked.RevokeAsync(DateTime.UtcNow.AddSeconds(10), requestId);
        Assert.Equal(AllowanceStatus.Revoked, retried.Allowance.Status);
        Assert.Equal(retried.Allowance, (await locked.RevokeAsync(DateTime.UtcNow.AddSeconds(10), requestId)).Allowance);
    }

    [Fact]
    public async Task A_call_blocked_past_its_deadline_is_abandoned_by_the_server_and_changes_nothing()
    {
        await using var locked = await LockedAllowanceAsync();

        var call = locked.RevokeAsync(DateTime.UtcNow.AddSeconds(2));
        // The server is working on it: its query waits for the row this test holds.
        Assert.Equal(1, await Eventually.WaitAsync(locked.WaitingAsync, count => count == 1, TimeSpan.FromSeconds(10), "the gateway's query waiting for the lock"));
        var error = await Assert.ThrowsAsync<RpcException>(() => call);

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        // The server observed the call's cancellation: its query stops waiting while the lock is still held.
        Assert.Equal(0, await Eventually.WaitAsync(locked.WaitingAsync, count => count == 0, TimeSpan.FromSeconds(10), "the gateway's query giving up"));
        Assert.True(await locked.UnchangedAfterReleaseAsync());
    }

    /// <summary>A fresh payer's allowance whose row this test holds locked: RevokeAllowance waits for it, a slow path.</summary>
    private async Task<LockedAllowance> LockedAllowanceAsync()
    {
        var payer = $"deadline-{Guid.NewGuid():N}"[..20];
        var gateway = new UsageGatewayService.UsageGatewayServiceClient(platform.Gateway.Channel);
        await gateway.SetAllowanceAsync(new SetAllowanceRequest { RequestId = Guid.NewGuid().ToString(), ModelId = platform.ModelId, CapAmount = 100 },
            TestTokens.Bearer(payer, Roles.User), cancellationToken: Ct);
        var holder = new NpgsqlConnection(platform.Gateway.DatabaseConnectionString);
        await holder.OpenAsync(Ct);
        var transaction = await holder.BeginTransactionAsync(Ct);
        await holder.ExecuteAsync("select 1 from allowances where payer_account = @payer for update", new { payer }, transaction);
        return new LockedAllowance(platform, gateway, payer, holder, transaction);
    }

    private sealed class LockedAllowance(SecurityPlatform platform, UsageGatewayService.UsageGatewayServiceClient gateway, string payer,
        NpgsqlConnection holder, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        private readonly string database = new NpgsqlConnectionStringBuilder(platform.Gateway.DatabaseConnectionString).Database!;

        public Task<RevokeAllowanceResponse> RevokeAsync(DateTime deadline, string? requestId = null) =>
            gateway.RevokeAllowanceAsync(new RevokeAllowanceRequest { RequestId = requestId ?? Guid.NewGuid().ToString(), ModelId = platform.ModelId },
                TestTokens.Bearer(payer, Roles.User), deadline, Ct).ResponseAsync;

        public Task ReleaseAsync() => transaction.RollbackAsync(Ct);

        /// <summary>Sessions of the gateway's database waiting for a lock (only this test's row is locked).</summary>
        public Task<long> WaitingAsync() => holder.ExecuteScalarAsync<long>(
            "select count(*) from pg_stat_activity where datname = @database and wait_event_type = 'Lock' and pid <> pg_backend_pid()",
            new { database }, transaction);

        /// <summary>Releases the lock; true when the allowance is still not revoked (nothing was left running to revoke it).</summary>
        public async Task<bool> UnchangedAfterReleaseAsync()
        {
            await transaction.RollbackAsync(Ct);
            await using var check = new NpgsqlConnection(platform.Gateway.DatabaseConnectionString);
            return await check.ExecuteScalarAsync<bool>("select revoked_at is null from allowances where payer_account = @payer", new { payer });
        }

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await holder.DisposeAsync();
        }
    }

    [Fact]
    public async Task No_signing_key_token_or_authorization_header_appears_in_logs_or_status_messages()
    {
        var details = new List<string>();
        foreach (var method in SecurityPlatform.AllMethods)
        {
            var invoker = platform.HostOf(method).Channel.CreateCallInvoker();
            foreach (var caller in Callers.All)
            {
                var status = await Requests.CallAsync(invoker, method, Requests.Build(platform, method, caller), caller.Headers, cancellationToken: Ct);
                details.Add($"{method.Name} as {caller.Name}: {status.Detail}");
            }
        }
        var logs = platform.Logs.Lines.ToList();
        var secrets = new List<string> { TestTokens.SigningKey, Callers.OtherKey };
        foreach (var token in Callers.All.Select(c => c.Token).OfType<string>())
        {
            secrets.Add(token);
            // The signature alone would let nobody forge, but it is part of a secret and never needed in a log.
            if (token.Split('.') is [_, _, { Length: > 0 } signature])
            {
                secrets.Add(signature);
            }
        }

        // The capture works: the refused tokens above were logged as failures, without themselves.
        Assert.Contains(logs, line => line.Contains("not authenticated", StringComparison.OrdinalIgnoreCase));
        foreach (var text in logs.Concat(details))
        {
            Assert.False(secrets.Any(secret => text.Contains(secret, StringComparison.Ordinal)), $"a secret in: {text[..Math.Min(text.Length, 300)]}");
            Assert.False(Jwt().IsMatch(text), $"a token in: {text}");
            Assert.DoesNotContain("Bearer ey", text, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>Anything shaped like a JWT (header and payload are base64url JSON, so both start with <c>eyJ</c>).</summary>
    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}")]
    private static partial Regex Jwt();
}
