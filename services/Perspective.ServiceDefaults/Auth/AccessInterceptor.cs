using System.Collections;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Perspective.ServiceDefaults.Errors;

namespace Perspective.ServiceDefaults.Auth;

/// <summary>
/// Enforces the <see cref="AccessTable"/> on every call before its handler runs: the caller's role, and the account a
/// request field names when the rule has an <see cref="OwnerRule"/>. An RPC without a rule is refused. Authentication has
/// already happened (the bearer middleware answers UNAUTHENTICATED); this answers PERMISSION_DENIED with the rule broken.
/// Runs inside <see cref="ErrorInterceptor"/>, which turns its <see cref="DomainException"/> into the status.
/// </summary>
public sealed class AccessInterceptor(AccessTable table) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context, request as IMessage);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context, request as IMessage);
        return continuation(request, responseStream, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context, null);
        return continuation(requestStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context, null);
        return continuation(requestStream, responseStream, context);
    }

    /// <summary>Throws PERMISSION_DENIED naming the rule unless <paramref name="context"/>'s caller may make this call.</summary>
    private void Check(ServerCallContext context, IMessage? request)
    {
        var rule = table.Find(context.Method)
                   ?? throw DomainException.PermissionDenied($"{context.Method} has no rule in the access table: nobody may call it");
        if (rule.Anonymous)
        {
            return;
        }
        var caller = context.Caller();
        var roles = caller.Roles.Count == 0 ? "(none)" : string.Join("/", caller.Roles.Order(StringComparer.Ordinal));
        if (!rule.Roles.Any(caller.IsInRole))
        {
            throw DomainException.PermissionDenied($"role {roles} may not call {rule.Name}: it needs role {string.Join("/", rule.Roles)}");
        }
        if (rule.Owner is not { } owner || owner.UnlessRoles.Any(caller.IsInRole))
        {
            return;
        }
        if (request is null)
        {
            // A streamed request has no single message to read the field from: such a rule cannot be kept, so it refuses.
            throw DomainException.PermissionDenied($"{rule.Name}: the ownership rule cannot be checked on a streaming call");
        }
        foreach (var value in Values(request, owner.Field))
        {
            var account = value.Length == 0 && owner.EmptyIsCaller ? caller.Account : value;
            if (account != caller.Account)
            {
                var shown = account.Length switch { 0 => "''", > 64 => string.Concat(account.AsSpan(0, 64), "…"), _ => account };
                throw DomainException.PermissionDenied($"role {roles} may not call {rule.Name} for account {shown}: {owner}");
            }
        }
    }

    /// <summary>Every string a dotted field path reaches in <paramref name="message"/> (each element of a repeated step).</summary>
    private static List<string> Values(IMessage message, string path)
    {
        var fields = AccessTable.FieldPath(message.Descriptor, path);
        var current = new List<object> { message };
        foreach (var field in fields)
        {
            var next = new List<object>();
            foreach (var item in current)
            {
                var value = field.Accessor.GetValue((IMessage)item);
                if (field.IsRepeated)
                {
                    next.AddRange(((IList)value).Cast<object>());
                }
                else if (value is not null)
                {
                    next.Add(value);
                }
            }
            current = next;
        }
        return current.Cast<string>().ToList();
    }
}
