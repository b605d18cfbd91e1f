using System.Collections;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Perspective.ServiceDefaults.Auth;

namespace Perspective.Security.Tests;

/// <summary>
/// Builds a request for any RPC from its descriptor: ownership fields (per the access table) hold the caller case's
/// <see cref="CallerCase.Owner"/>, other account fields its <see cref="CallerCase.Target"/>, ids the seeded state, and the
/// rest plausible values, so that an allowed call gets past validation as far as it can.
/// </summary>
public static class Requests
{
    private const int DepthMax = 3;

    public static IMessage Build(SecurityPlatform platform, MethodDescriptor method, CallerCase caller)
    {
        var owner = AccessTable.Platform.Find(FullName(method))?.Owner?.Field;
        return Fill(platform, method, method.InputType, caller, owner, "", 0);
    }

    public static string FullName(MethodDescriptor method) => $"/{method.Service.FullName}/{method.Name}";

    /// <summary>Sends <paramref name="request"/> as <paramref name="method"/> and returns the status it ends with (OK when it succeeds).</summary>
    public static async Task<Status> CallAsync(CallInvoker invoker, MethodDescriptor method, IMessage request, Metadata headers,
        DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        var raw = new Method<byte[], byte[]>(MethodType.Unary, method.Service.FullName, method.Name,
            Marshallers.Create(bytes => bytes, bytes => bytes), Marshallers.Create(bytes => bytes, bytes => bytes));
        var call = invoker.AsyncUnaryCall(raw, null, new CallOptions(headers, deadline ?? DateTime.UtcNow.AddSeconds(30), cancellationToken),
            request.ToByteArray());
        try
        {
            await call.ResponseAsync;
            return Status.DefaultSuccess;
        }
        catch (RpcException error)
        {
            return error.Status;
        }
    }

    private static IMessage Fill(SecurityPlatform platform, MethodDescriptor method, MessageDescriptor descriptor, CallerCase caller, string? owner,
        string prefix, int depth)
    {
        var message = descriptor.Parser.ParseFrom(ByteString.Empty);
        if (descriptor.FullName == Timestamp.Descriptor.FullName)
        {
            return Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(1));
        }
        foreach (var field in descriptor.Fields.InDeclarationOrder())
        {
            var path = prefix + field.Name;
            if (field.IsMap || (field.ContainingOneof is { } oneof && oneof.Accessor.GetCaseFieldDescriptor(message) is not null))
            {
                continue;
            }
            var value = Value(platform, method, field, caller, owner, path, depth);
            if (value is null)
            {
                continue;
            }
            if (field.IsRepeated)
            {
                ((IList)field.Accessor.GetValue(message)).Add(value);
            }
            else
            {
                field.Accessor.SetValue(message, value);
            }
        }
        return message;
    }

    private static object? Value(SecurityPlatform platform, MethodDescriptor method, FieldDescriptor field, CallerCase caller, string? owner, string path,
        int depth) => field.FieldType switch
        {
            FieldType.String => Text(platform, method, field.Name, caller, owner, path),
            FieldType.Int64 or FieldType.Int32 or FieldType.UInt32 or FieldType.UInt64 or FieldType.SInt64 or FieldType.SInt32 => Number(field),
            FieldType.Bool => false,
            FieldType.Enum => field.EnumType.Values.Count > 1 ? field.EnumType.Values[1].Number : 0,
            FieldType.Message when depth < DepthMax => Fill(platform, method, field.MessageType, caller, owner, path + ".", depth + 1),
            _ => null,
        };

    private static object Number(FieldDescriptor field)
    {
        long value = field.Name switch
        {
            "page_size" or "decimals" or "from_sequence" or "to_sequence" => 0,
            "ttl_seconds" => 60,
            _ => 1,
        };
        return field.FieldType is FieldType.Int32 or FieldType.SInt32 ? (int)value : field.FieldType is FieldType.UInt32 ? (uint)value
            : field.FieldType is FieldType.UInt64 ? (ulong)value : value;
    }

    private static string Text(SecurityPlatform platform, MethodDescriptor method, string name, CallerCase caller, string? owner, string path)
    {
        if (path == owner)
        {
            return caller.Owner;
        }
        return name switch
        {
            "to_account" => "carol",
            "counterparty_account" or "acceptable_by" => "",
            "provider_account" => SecurityPlatform.Provider,
            _ when name == "account" || name.EndsWith("_account", StringComparison.Ordinal) => caller.Target,
            "request_id" or "transfer_id" or "distribution_id" or "standard_id" => Guid.NewGuid().ToString(),
            _ when name.EndsWith("_id", StringComparison.Ordinal) => platform.IdFor(method, name),
            "asset" or "code" or "give_asset" => "POV",
            "want_asset" => platform.ModelToken,
            "symbol" => new string([.. Enumerable.Range(0, 6).Select(_ => (char)('A' + Random.Shared.Next(26)))]),
            "key" => "subdao_default_quorum_bps",
            "page_token" => "",
            _ => "security test",
        };
    }
}
