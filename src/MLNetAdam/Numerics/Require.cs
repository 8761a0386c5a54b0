using System.Globalization;

namespace MLNetAdam.Numerics;

/// <summary>
/// The one way settings are checked: every rule throws an <see cref="ArgumentOutOfRangeException"/> whose parameter
/// name is the setting and whose message reads "<c>Owner.Setting</c> must be …; got …", so an error always names
/// the object, the setting, the valid range and the value. Used by the optimizers, the schedules and the trainer.
/// </summary>
internal static class Require
{
    /// <summary>Throws unless <paramref name="condition"/> holds; <paramref name="rule"/> completes "must …".</summary>
    /// <param name="condition">Whether the value is valid.</param>
    /// <param name="owner">What holds the setting, e.g. <c>AdamOptimizer</c> or <c>AdamMlpTrainer.Options</c>.</param>
    /// <param name="setting">The setting's name.</param>
    /// <param name="rule">The rule, e.g. "be &gt; 0".</param>
    /// <param name="value">The offending value (may be null).</param>
    public static void That(bool condition, string owner, string setting, string rule, object? value)
    {
        if (!condition)
            throw new ArgumentOutOfRangeException(setting, value, $"{owner}.{setting} must {rule}; got {Format(value)}.");
    }

    /// <summary>A finite number greater than zero.</summary>
    public static void Positive(double value, string owner, string setting) =>
        That(value > 0 && double.IsFinite(value), owner, setting, "be a finite number greater than 0", value);

    /// <summary>A finite number greater than or equal to zero.</summary>
    public static void NonNegative(double value, string owner, string setting) =>
        That(value >= 0 && double.IsFinite(value), owner, setting, "be a finite number greater than or equal to 0", value);

    /// <summary>A number in <c>[min, max)</c>.</summary>
    public static void InRange(double value, double min, double max, string owner, string setting) =>
        That(value >= min && value < max, owner, setting, $"be in [{Format(min)}, {Format(max)})", value);

    /// <summary>An integer of at least <paramref name="minimum"/>.</summary>
    public static void AtLeast(long value, long minimum, string owner, string setting) =>
        That(value >= minimum, owner, setting, $"be ≥ {minimum}", value);

    private static string Format(object? value) => value switch
    {
        null => "null",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
