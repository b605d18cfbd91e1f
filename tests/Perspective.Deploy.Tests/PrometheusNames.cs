using System.Text.RegularExpressions;

namespace Perspective.Deploy.Tests;

/// <summary>What kind of OpenTelemetry metric an instrument produces, which decides its Prometheus suffixes.</summary>
public enum MetricKind
{
    /// <summary>A monotonic sum (Counter, ObservableCounter): one series with <c>_total</c>.</summary>
    Counter,

    /// <summary>A gauge or non-monotonic sum (UpDownCounter): one series, no suffix.</summary>
    Gauge,

    /// <summary>A histogram: <c>_bucket</c>, <c>_sum</c> and <c>_count</c>.</summary>
    Histogram,
}

/// <summary>
/// The names the OpenTelemetry Collector's Prometheus exporter gives a metric (its default <c>add_metric_suffixes: true</c>,
/// as configured in deploy/k8s/otel-collector), documented in docs/DEPLOY.md:
/// <list type="number">
/// <item>every character but letters, digits, <c>_</c> and <c>:</c> becomes <c>_</c> (so dots become underscores), runs of
/// <c>_</c> collapse to one;</item>
/// <item>the unit is appended unless the name already ends with it: <c>s</c> → <c>seconds</c>, <c>ms</c> → <c>milliseconds</c>,
/// <c>By</c> → <c>bytes</c>, <c>a/b</c> → <c>a_per_b</c>; an annotation in braces (<c>{request}</c>) adds nothing; <c>1</c> adds
/// <c>ratio</c> on a gauge and nothing otherwise;</item>
/// <item>a counter gets <c>_total</c>; a histogram is the three series <c>_bucket</c>, <c>_sum</c>, <c>_count</c>.</item>
/// </list>
/// </summary>
public static partial class PrometheusNames
{
    private static readonly Dictionary<string, string> Units = new(StringComparer.Ordinal)
    {
        ["s"] = "seconds",
        ["ms"] = "milliseconds",
        ["us"] = "microseconds",
        ["ns"] = "nanoseconds",
        ["min"] = "minutes",
        ["h"] = "hours",
        ["d"] = "days",
        ["By"] = "bytes",
        ["KiBy"] = "kibibytes",
        ["MiBy"] = "mebibytes",
        ["bit"] = "bits",
        ["Hz"] = "hertz",
        ["%"] = "percent",
    };

    /// <summary>The series names one OpenTelemetry metric becomes in Prometheus.</summary>
    public static IReadOnlyList<string> For(string name, string? unit, MetricKind kind)
    {
        var baseName = Sanitize(name);
        var unitSuffix = UnitSuffix(unit, kind);
        if (unitSuffix.Length > 0 && !baseName.EndsWith("_" + unitSuffix, StringComparison.Ordinal))
        {
            baseName = $"{baseName}_{unitSuffix}";
        }
        return kind switch
        {
            MetricKind.Counter => [baseName.EndsWith("_total", StringComparison.Ordinal) ? baseName : baseName + "_total"],
            MetricKind.Histogram => [baseName + "_bucket", baseName + "_sum", baseName + "_count"],
            _ => [baseName],
        };
    }

    private static string UnitSuffix(string? unit, MetricKind kind)
    {
        // Annotations in braces carry no unit: "{request}" adds nothing, "{request}/s" is "per_second".
        var stripped = Annotation().Replace(unit ?? "", "").Trim();
        if (stripped.Length == 0)
        {
            return "";
        }
        if (stripped == "1")
        {
            return kind == MetricKind.Gauge ? "ratio" : "";
        }
        var parts = stripped.Split('/', 2);
        var main = parts[0].Length == 0 ? "" : Units.GetValueOrDefault(parts[0], parts[0]);
        if (parts.Length == 1)
        {
            return Sanitize(main);
        }
        var per = parts[1] switch { "s" => "second", "m" => "minute", "h" => "hour", "d" => "day", _ => Units.GetValueOrDefault(parts[1], parts[1]) };
        return Sanitize(main.Length == 0 ? $"per_{per}" : $"{main}_per_{per}");
    }

    private static string Sanitize(string name) => Underscores().Replace(Invalid().Replace(name, "_"), "_").Trim('_');

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Annotation();

    [GeneratedRegex("[^a-zA-Z0-9_:]")]
    private static partial Regex Invalid();

    [GeneratedRegex("_+")]
    private static partial Regex Underscores();
}

/// <summary>The metric names a PromQL expression reads (functions, keywords, labels, strings and ranges left out).</summary>
public static partial class PromQl
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless", "inf", "nan",
    };

    public static IReadOnlySet<string> MetricNames(string expression)
    {
        var text = Strings().Replace(expression, "\"\"");
        text = Braces().Replace(text, "");
        text = Ranges().Replace(text, "");
        text = Grouping().Replace(text, "");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match match in Identifier().Matches(text))
        {
            var name = match.Groups["name"].Value;
            var isFunction = match.Groups["call"].Success;
            if (!isFunction && !Keywords.Contains(name) && !name.StartsWith('$'))
            {
                names.Add(name);
            }
        }
        return names;
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Braces();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"(?<![\w$.])(?<name>\$?[a-zA-Z_:][a-zA-Z0-9_:]*)(?<call>\s*\()?")]
    private static partial Regex Identifier();
}
