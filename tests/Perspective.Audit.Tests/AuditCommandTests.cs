using Dapper;
using Npgsql;
using Perspective.Audit.Cli;
using Perspective.Testing;

namespace Perspective.Audit.Tests;

/// <summary>The console entry behind <c>make audit</c>, over the same platform: its lines, its token and its exit code.</summary>
[Collection(AuditWorld.Collection)]
public sealed class AuditCommandTests(AuditWorld world)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string[] Arguments =>
    [
        "--service", $"ledger={world.Ledger.Address}",
        "--service", $"registry={world.Registry.Address}",
        "--service", $"gateway={world.Gateway.Address}",
        "--service", $"treasury={world.Treasury.Address}",
        "--database", $"gateway={world.Gateway.DatabaseConnectionString}",
        "--database", $"treasury={world.Treasury.DatabaseConnectionString}",
        "--database", $"platform={world.IdleDatabase}",
        "--grace-seconds", "0",
    ];

    [Fact]
    public async Task On_right_books_it_prints_a_tick_per_check_with_its_own_admin_token_and_exits_0()
    {
        var (code, output, error) = await RunAsync(Arguments);

        Assert.Equal((0, ""), (code, error));
        var lines = output.TrimEnd().Split(Environment.NewLine);
        Assert.Equal(AuditCheckNames.All.Select(n => $"✓ {n}").Append("the books are right"), lines.Select(l => l.StartsWith('✓') ? l[..(2 + l[2..].IndexOf(' '))] : l));
    }

    [Fact]
    public async Task When_a_check_fails_it_prints_a_cross_on_that_line_and_exits_1()
    {
        var id = Guid.NewGuid();
        // In the database without a service: a gateway's dispatcher would park the row at once.
        await using (var db = new NpgsqlConnection(world.IdleDatabase))
        {
            await db.ExecuteAsync("insert into outbox_messages (id, message_type, payload, created_at) values (@id, 'Test.Stuck', '{}', now() - interval '1 hour')", new { id });
        }
        try
        {
            var (code, output, _) = await RunAsync(Arguments);

            Assert.Equal(1, code);
            Assert.Contains($"✗ outbox        1 row(s) unsent for over 60 s or parked: platform: Stuck {id} unsent since ", output);
            Assert.EndsWith($"1 of 6 checks failed{Environment.NewLine}", output);
        }
        finally
        {
            await using var db = new NpgsqlConnection(world.IdleDatabase);
            await db.ExecuteAsync("delete from outbox_messages where id = @id", new { id });
        }
    }

    [Fact]
    public async Task Unknown_arguments_print_the_usage_and_exit_2()
    {
        var (code, output, error) = await RunAsync(["--services", "ledger=x"]);

        Assert.Equal((2, "", AuditCommand.Usage), (code, output, error.TrimEnd()));
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await AuditCommand.RunAsync(args, output, error, Ct);
        return (code, output.ToString(), error.ToString());
    }
}
