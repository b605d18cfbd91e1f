using System.Net.Sockets;
using Grpc.Core;
using Spectre.Console.Cli;

namespace Perspective.Cli.Infrastructure;

/// <summary>The process exit codes, and how a failure maps to one (printed plainly on the error writer).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Usage = 1;
    public const int Rejected = 2;
    public const int Unreachable = 3;

    public static int Report(Exception exception, CliContext cli)
    {
        switch (exception)
        {
            case RpcException { StatusCode: StatusCode.Unavailable or StatusCode.DeadlineExceeded } rpc:
                cli.Error.WriteLine($"unreachable: {Name(rpc.StatusCode)}: {rpc.Status.Detail}");
                return Unreachable;
            case RpcException rpc:
                cli.Error.WriteLine($"rejected: {Name(rpc.StatusCode)}: {rpc.Status.Detail}");
                return Rejected;
            case HttpRequestException or SocketException:
                cli.Error.WriteLine($"unreachable: {exception.Message}");
                return Unreachable;
            case UsageException or CommandAppException:
                cli.Error.WriteLine($"usage: {exception.Message}");
                cli.Error.WriteLine("see `pov --help` or `pov <command> --help`");
                return Usage;
            default:
                cli.Error.WriteLine($"error: {exception.GetType().Name}: {exception.Message}");
                return Usage;
        }
    }

    /// <summary>The canonical gRPC name, e.g. FAILED_PRECONDITION.</summary>
    public static string Name(StatusCode code) => Show.Snake(code.ToString());
}

/// <summary>Bad arguments found after parsing (an unknown enum value, a malformed pair): exit code 1.</summary>
public sealed class UsageException(string message) : Exception(message);
