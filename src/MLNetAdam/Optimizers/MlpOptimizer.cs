using MLNetAdam.Numerics;

namespace MLNetAdam.Optimizers;

/// <summary>
/// An optimizer for <c>AdamMlpTrainer</c>: an object that holds its own hyperparameters and knows how to
/// validate them. Derive from <see cref="StochasticOptimizer"/> for an optimizer that updates the weights once per
/// mini-batch (Adam), or from <see cref="BatchOptimizer"/> for one that minimizes the full-batch loss through a
/// loss-and-gradient closure (L-BFGS). The trainer works with those two abstractions only, so an optimizer of
/// your own plugs in the same way as the built-in ones.
/// </summary>
public abstract class MlpOptimizer
{
    /// <summary>Creates an optimizer. Only <see cref="StochasticOptimizer"/> and <see cref="BatchOptimizer"/> derive directly.</summary>
    private protected MlpOptimizer()
    {
    }

    /// <summary>
    /// Checks every hyperparameter and throws an <see cref="ArgumentOutOfRangeException"/> whose parameter name is the
    /// offending option and whose message states the valid range. Called by the trainer before training starts.
    /// </summary>
    public abstract void Validate();

    /// <summary>Throws when <paramref name="value"/> is not a finite number greater than zero.</summary>
    /// <param name="value">The value to check.</param>
    /// <param name="name">The option's name, used in the message.</param>
    protected void RequirePositive(double value, string name) => Require.Positive(value, GetType().Name, name);

    /// <summary>Throws when <paramref name="value"/> is not a finite number greater than or equal to zero.</summary>
    /// <param name="value">The value to check.</param>
    /// <param name="name">The option's name, used in the message.</param>
    protected void RequireNonNegative(double value, string name) => Require.NonNegative(value, GetType().Name, name);

    /// <summary>Throws when <paramref name="value"/> is outside <c>[min, max)</c> (or NaN).</summary>
    /// <param name="value">The value to check.</param>
    /// <param name="min">Smallest valid value (inclusive).</param>
    /// <param name="max">Upper bound (exclusive).</param>
    /// <param name="name">The option's name, used in the message.</param>
    protected void RequireInRange(double value, double min, double max, string name) => Require.InRange(value, min, max, GetType().Name, name);
}
