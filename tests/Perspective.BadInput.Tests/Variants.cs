using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;

namespace Perspective.BadInput.Tests;

/// <summary>One malformed request derived from a valid one: which field, what was done to it, and how to do it.</summary>
public sealed record Variant(string Path, string Kind, string? BaselineValue, Action<IMessage> Apply)
{
    /// <summary>The names of the fields on the path ("legs[0].amount" → legs, amount): an INVALID_ARGUMENT message must name one.</summary>
    public IReadOnlyList<string> FieldNames => [.. Path.Split('.').Select(segment => segment.Split('[')[0])];

    public override string ToString() => $"{Path} {Kind}";
}

/// <summary>
/// Derives the bad-input variants of a request from its descriptor, field by field (nested messages and every element
/// of repeated messages included; oneof members other than the one set are left alone, they are other actions):
/// <list type="bullet">
/// <item>string: <c>empty</c>, <c>oversized</c> (100,000 characters), <c>nul</c> (a U+0000 appended), <c>control</c>
/// (an ESC, U+001B, appended); and <c>unknown</c> for references (an id other than a client-chosen one: a random UUID;
/// an asset code: one never created; an account: a well-formed one never seen).</item>
/// <item>integers: <c>negative</c> (-1), <c>zero</c> (unless the valid value is zero), <c>max</c> (the type's maximum,
/// which overflows any arithmetic the service does with it).</item>
/// <item>enum: <c>undefined</c> (999) and <c>unspecified</c> (0, unless the valid value is 0).</item>
/// <item>google.protobuf.Timestamp: <c>missing</c> (if set), <c>past</c> (an hour before the clock),
/// <c>out-of-range</c> (seconds = long.MaxValue, not a representable time).</item>
/// <item>other messages: <c>missing</c> (cleared; for repeated fields, no element).</item>
/// </list>
/// </summary>
public static class Variants
{
    public const int OversizedLength = 100_000;

    /// <summary>Ids the client chooses (any new UUID is valid, so a random one is not "unknown").</summary>
    private static readonly HashSet<string> ClientChosenIds = ["request_id", "transfer_id"];

    /// <summary>String fields that name an asset by code.</summary>
    private static readonly HashSet<string> AssetFields = ["asset", "give_asset", "want_asset"];

    /// <summary>A deep copy (IMessage has no Clone; its bytes round-trip exactly).</summary>
    public static IMessage Copy(IMessage message) => message.Descriptor.Parser.ParseFrom(message.ToByteString());

    public static IReadOnlyList<Variant> Derive(IMessage baseline, DateTimeOffset now) => [.. Walk(baseline, [], now)];

    private sealed record Step(FieldDescriptor Field, int? Index);

    private static IEnumerable<Variant> Walk(IMessage message, IReadOnlyList<Step> steps, DateTimeOffset now)
    {
        foreach (var field in message.Descriptor.Fields.InDeclarationOrder())
        {
            var oneof = field.RealContainingOneof;
            if (oneof is not null && oneof.Accessor.GetCaseFieldDescriptor(message)?.FieldNumber != field.FieldNumber)
            {
                continue;
            }
            var here = steps.Append(new Step(field, null)).ToList();
            var path = PathOf(here);
            if (field.IsRepeated)
            {
                var list = (System.Collections.IList)field.Accessor.GetValue(message);
                if (field.FieldType != FieldType.Message || list.Count == 0)
                {
                    continue;
                }
                yield return new Variant(path, "missing", null, root => ((System.Collections.IList)field.Accessor.GetValue(Parent(root, here))).Clear());
                for (var i = 0; i < list.Count; i++)
                {
                    foreach (var variant in Walk((IMessage)list[i]!, [.. steps, new Step(field, i)], now))
                    {
                        yield return variant;
                    }
                }
                continue;
            }
            var value = field.Accessor.GetValue(message);
            switch (field.FieldType)
            {
                case FieldType.String:
                    var text = (string)value;
                    // An absent optional string set to "" is "present but empty", a different request from the absent one.
                    if (text.Length > 0 || (field.HasPresence && !field.Accessor.HasValue(message)))
                    {
                        yield return Set(path, "empty", text, here, "");
                    }
                    yield return Set(path, "oversized", text, here, new string('a', OversizedLength));
                    yield return Set(path, "nul", text, here, text + "\0");
                    yield return Set(path, "control", text, here, text + "\u001b[2J");
                    if (field.Name.EndsWith("_id", StringComparison.Ordinal) && !ClientChosenIds.Contains(field.Name))
                    {
                        yield return Set(path, "unknown", text, here, Guid.NewGuid().ToString());
                    }
                    if (field.Name == "account" || field.Name.EndsWith("_account", StringComparison.Ordinal))
                    {
                        // Well-formed, never seen: a payer without allowance, a taker without funds, or a new recipient.
                        yield return Set(path, "unknown", text, here, $"nobody-{Guid.NewGuid():N}"[..20]);
                    }
                    if (AssetFields.Contains(field.Name))
                    {
                        yield return Set(path, "unknown", text, here, "NOSUCH" + Random.Shared.Next(100_000, 999_999));
                    }
                    break;
                case FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64:
                    yield return Set(path, "negative", null, here, -1L);
                    if ((long)value != 0)
                    {
                        yield return Set(path, "zero", null, here, 0L);
                    }
                    yield return Set(path, "max", null, here, long.MaxValue);
                    break;
                case FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32:
                    yield return Set(path, "negative", null, here, -1);
                    if ((int)value != 0)
                    {
                        yield return Set(path, "zero", null, here, 0);
                    }
                    yield return Set(path, "max", null, here, int.MaxValue);
                    break;
                case FieldType.Enum:
                    yield return Set(path, "undefined", null, here, 999);
                    if (Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture) != 0)
                    {
                        yield return Set(path, "unspecified", null, here, 0);
                    }
                    break;
                case FieldType.Message when field.MessageType.FullName == Timestamp.Descriptor.FullName:
                    if (value is not null)
                    {
                        yield return Clear(path, here);
                    }
                    yield return Set(path, "past", null, here, Timestamp.FromDateTimeOffset(now.AddHours(-1)));
                    yield return Set(path, "out-of-range", null, here, new Timestamp { Seconds = long.MaxValue });
                    break;
                case FieldType.Message:
                    if (value is null)
                    {
                        break;
                    }
                    yield return Clear(path, here);
                    foreach (var variant in Walk((IMessage)value, here, now))
                    {
                        yield return variant;
                    }
                    break;
            }
        }
    }

    private static Variant Set(string path, string kind, string? baseline, IReadOnlyList<Step> steps, object value) =>
        new(path, kind, baseline, root => steps[^1].Field.Accessor.SetValue(Parent(root, steps), value));

    private static Variant Clear(string path, IReadOnlyList<Step> steps) =>
        new(path, "missing", null, root => steps[^1].Field.Accessor.Clear(Parent(root, steps)));

    /// <summary>The message that holds the last step's field, within <paramref name="root"/>.</summary>
    private static IMessage Parent(IMessage root, IReadOnlyList<Step> steps)
    {
        var current = root;
        foreach (var step in steps.Take(steps.Count - 1))
        {
            var value = step.Field.Accessor.GetValue(current);
            current = step.Index is int index ? (IMessage)((System.Collections.IList)value)[index]! : (IMessage)value;
        }
        return current;
    }

    private static string PathOf(IReadOnlyList<Step> steps) =>
        string.Join('.', steps.Select(s => s.Index is int i ? $"{s.Field.Name}[{i}]" : s.Field.Name));

    /// <summary>
    /// The same request with one field changed to another valid value, for the duplicate-request-id case: a free-text field
    /// gets a suffix; else an amount goes down by one (or 1 → 2); else an enum takes another defined value; else a reference
    /// id becomes a random UUID. Nested messages (the first element of a repeated one) are searched after the top level.
    /// </summary>
    public static (string Path, IMessage Request)? ChangeOneField(IMessage request)
    {
        var changed = Copy(request);
        return Change(changed, "") is string path ? (path, changed) : null;
    }

    private static string? Change(IMessage message, string prefix)
    {
        string[] freeText = ["memo", "reason", "description", "title", "purpose", "name"];
        var fields = message.Descriptor.Fields.InDeclarationOrder().Where(f => !f.IsRepeated).ToList();
        foreach (var field in fields.Where(f => f.FieldType == FieldType.String && freeText.Contains(f.Name)))
        {
            var text = (string)field.Accessor.GetValue(message);
            if (text.Length > 0)
            {
                field.Accessor.SetValue(message, text + " (changed)");
                return prefix + field.Name;
            }
        }
        foreach (var field in fields)
        {
            if (field.FieldType is FieldType.Int64 && (long)field.Accessor.GetValue(message) is > 0)
            {
                var n = (long)field.Accessor.GetValue(message);
                field.Accessor.SetValue(message, n == 1 ? 2L : n - 1);
                return prefix + field.Name;
            }
            if (field.FieldType is FieldType.Enum)
            {
                var current = Convert.ToInt32(field.Accessor.GetValue(message), System.Globalization.CultureInfo.InvariantCulture);
                var other = field.EnumType.Values.FirstOrDefault(v => v.Number != 0 && v.Number != current);
                if (other is not null)
                {
                    field.Accessor.SetValue(message, other.Number);
                    return prefix + field.Name;
                }
            }
        }
        foreach (var field in fields.Where(f => f.FieldType == FieldType.String && f.Name.EndsWith("_id", StringComparison.Ordinal) && !ClientChosenIds.Contains(f.Name)))
        {
            field.Accessor.SetValue(message, Guid.NewGuid().ToString());
            return prefix + field.Name;
        }
        foreach (var field in message.Descriptor.Fields.InDeclarationOrder().Where(f => f.FieldType == FieldType.Message))
        {
            var value = field.Accessor.GetValue(message);
            var (nested, path) = field.IsRepeated
                ? (((System.Collections.IList)value).Count > 0 ? (IMessage?)((System.Collections.IList)value)[0] : null, $"{prefix}{field.Name}[0].")
                : ((IMessage?)value, $"{prefix}{field.Name}.");
            if (nested is not null && nested.Descriptor.FullName != Timestamp.Descriptor.FullName && Change(nested, path) is string found)
            {
                return found;
            }
        }
        return null;
    }
}
