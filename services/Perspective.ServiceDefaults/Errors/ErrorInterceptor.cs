using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Npgsql;
using Perspective.ServiceDefaults.Data;

namespace Perspective.ServiceDefaults.Errors;

/// <summary>
/// Turns domain errors into gRPC status codes with their message, and any other exception into
/// <c>Internal</c> with only a trace id, logged once here with its stack trace.
/// Our own code reports broken rules with <see cref="DomainException"/>, never <see cref="RpcException"/>: an
/// RpcException here comes from a call to another service, whose status and message describe that call, not the
/// caller's request, so it is logged and answered as <c>Unavailable</c> (the dependency did not answer) or
/// <c>Internal</c>. A database that does not answer (restarting, unreachable) is <c>Unavailable</c> too: the request was
/// fine and may be sent again with the same request id. Only the generated <c>Unimplemented</c> of an RPC that is not
/// built yet passes through.
/// </summary>
public sealed partial class ErrorInterceptor(ILogger<ErrorInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            var response = await continuation(request, context);
            TagStatus(context, StatusCode.OK);
            return response;
        }
        catch (Exception ex) when (ex is not RpcException { StatusCode: StatusCode.Unimplemented })
        {
            throw Tagged(Translate(ex, context), context);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
            TagStatus(context, StatusCode.OK);
        }
        catch (Exception ex) when (ex is not RpcException { StatusCode: StatusCode.Unimplemented })
        {
            throw Tagged(Translate(ex, context), context);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context,
        ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            var response = await continuation(requestStream, context);
            TagStatus(context, StatusCode.OK);
            return response;
        }
        catch (Exception ex) when (ex is not RpcException { StatusCode: StatusCode.Unimplemented })
        {
            throw Tagged(Translate(ex, context), context);
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context);
            TagStatus(context, StatusCode.OK);
        }
        catch (Exception ex) when (ex is not RpcException { StatusCode: StatusCode.Unimplemented })
        {
            throw Tagged(Translate(ex, context), context);
        }
    }

    /// <summary>
    /// A gRPC error travels as HTTP 200 with a grpc-status trailer, so ASP.NET Core's request-duration metric cannot tell
    /// a refused call from a good one; this adds the status (OpenTelemetry's <c>rpc.grpc.status_code</c>) to it.
    /// </summary>
    private static void TagStatus(ServerCallContext context, StatusCode status) =>
        context.GetHttpContext().Features.Get<IHttpMetricsTagsFeature>()?.Tags.Add(new KeyValuePair<string, object?>("rpc.grpc.status_code", (int)status));

    private static RpcException Tagged(RpcException ex, ServerCallContext context)
    {
        TagStatus(context, ex.StatusCode);
        return ex;
    }

    private RpcException Translate(Exception ex, ServerCallContext context)
    {
        switch (ex)
        {
            case DomainException domain:
                return new RpcException(new Status(ToStatusCode(domain.Kind), Bounded(domain.Message)));
            case OperationCanceledException when context.CancellationToken.IsCancellationRequested:
                return new RpcException(new Status(StatusCode.Cancelled, "the call was cancelled"));
            case NpgsqlException database when DatabaseFailures.IsUnavailable(database):
                // The database restarting or unreachable is not a bug of the request: the caller retries with the same
                // request id (safe: every change is idempotent by it; a commit whose answer was lost replays its result).
                var databaseTraceId = TraceId(context);
                LogDatabaseUnavailable(logger, database, context.Method, databaseTraceId);
                return new RpcException(new Status(StatusCode.Unavailable, $"the database did not answer; retry with the same request id (trace id {databaseTraceId})"));
            case RpcException { StatusCode: StatusCode.Unavailable or StatusCode.DeadlineExceeded } downstream:
                var unavailableTraceId = TraceId(context);
                LogDownstream(logger, downstream, context.Method, unavailableTraceId);
                return new RpcException(new Status(StatusCode.Unavailable, $"a service this call depends on did not answer; retry with the same request id (trace id {unavailableTraceId})"));
            default:
                var traceId = TraceId(context);
                LogUnhandled(logger, ex, context.Method, traceId);
                return new RpcException(new Status(StatusCode.Internal, $"internal error (trace id {traceId})"));
        }
    }

    private static string TraceId(ServerCallContext context) =>
        Activity.Current?.TraceId.ToString() ?? context.GetHttpContext().TraceIdentifier;

    public static StatusCode ToStatusCode(DomainErrorKind kind) => kind switch
    {
        DomainErrorKind.InvalidArgument => StatusCode.InvalidArgument,
        DomainErrorKind.NotFound => StatusCode.NotFound,
        DomainErrorKind.FailedPrecondition => StatusCode.FailedPrecondition,
        DomainErrorKind.AlreadyExists => StatusCode.AlreadyExists,
        DomainErrorKind.PermissionDenied => StatusCode.PermissionDenied,
        DomainErrorKind.ResourceExhausted => StatusCode.ResourceExhausted,
        DomainErrorKind.Unauthenticated => StatusCode.Unauthenticated,
        DomainErrorKind.Unavailable => StatusCode.Unavailable,
        _ => StatusCode.Internal,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "A downstream call failed in {Method} (trace id {TraceId})")]
    private static partial void LogDownstream(ILogger logger, Exception exception, string method, string traceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database did not answer in {Method} (trace id {TraceId})")]
    private static partial void LogDatabaseUnavailable(ILogger logger, Exception exception, string method, string traceId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception in {Method} (trace id {TraceId})")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string traceId);

    /// <summary>
    /// A message may quote the caller's input, and it travels in an HTTP/2 trailer: a client refuses headers over its
    /// limit (16 KB in grpc-dotnet) and would see UNAVAILABLE instead of the refusal. The start, which names the field
    /// or rule, is kept.
    /// </summary>
    internal static string Bounded(string message) =>
        message.Length <= MaxMessageLength ? message : string.Concat(message.AsSpan(0, MaxMessageLength), "… (message cut)");

    private const int MaxMessageLength = 1000;
}
