using Grpc.Core;
using Perspective.ServiceDefaults.Auth;
using Perspective.ServiceDefaults.Tests.Probe;
using Perspective.Testing;

namespace Perspective.ServiceDefaults.Tests;

public sealed class ErrorTests(TestInfrastructure infrastructure) : ProbeTestBase(infrastructure)
{
    private static readonly Metadata User = TestTokens.Bearer("alice", Roles.User);

    [Fact]
    public async Task An_unexpected_exception_is_internal_with_a_trace_id_and_no_internals()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Client.FailAsync(new FailRequest { Secret = "hunter2" }, User, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Matches("^internal error \\(trace id [0-9a-f]{32}\\)$", error.Status.Detail);
        Assert.DoesNotContain("hunter2", error.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", error.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Trailers.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refusal_quoting_huge_input_is_cut_so_the_client_still_reads_the_refusal()
    {
        // Unbounded, the message would exceed the client's HTTP/2 header limit and arrive as UNAVAILABLE.
        var message = "account: " + new string('x', 100_000) + " is unknown";

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Client.RejectAsync(new RejectRequest { Kind = "InvalidArgument", Message = message }, User,
                cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("account: xxx", error.Status.Detail, StringComparison.Ordinal);
        Assert.EndsWith("… (message cut)", error.Status.Detail, StringComparison.Ordinal);
        Assert.True(error.Status.Detail.Length < 1100, $"{error.Status.Detail.Length} characters");
    }

    [Theory]
    [InlineData("InvalidArgument", "amount: must be positive", StatusCode.InvalidArgument)]
    [InlineData("NotFound", "model m-1 not found", StatusCode.NotFound)]
    [InlineData("FailedPrecondition", "insufficient funds", StatusCode.FailedPrecondition)]
    [InlineData("AlreadyExists", "request id reused with other content", StatusCode.AlreadyExists)]
    [InlineData("PermissionDenied", "only the creator may retire a model", StatusCode.PermissionDenied)]
    [InlineData("ResourceExhausted", "rate limit of 100 charges per second", StatusCode.ResourceExhausted)]
    public async Task A_domain_error_becomes_its_status_code_with_its_message(string kind, string message, StatusCode expected)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Client.RejectAsync(new RejectRequest { Kind = kind, Message = message }, User,
                cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);

        Assert.Equal(expected, error.StatusCode);
        Assert.Equal(message, error.Status.Detail);
    }
}
