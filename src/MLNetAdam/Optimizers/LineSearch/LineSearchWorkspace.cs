namespace MLNetAdam.Optimizers.LineSearch;

/// <summary>
/// The vectors a line search evaluates into, allocated once per minimization so that a search allocates nothing:
/// a trial point and gradient, and the point and gradient of the best step so far. Keeping a new best trial swaps
/// the two pairs instead of copying them.
/// </summary>
internal sealed class LineSearchWorkspace
{
    /// <summary>Creates the buffers for <paramref name="length"/> parameters.</summary>
    public LineSearchWorkspace(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Point = new float[length];
        Gradient = new float[length];
        TrialPoint = new float[length];
        TrialGradient = new float[length];
    }

    /// <summary>Length of every buffer.</summary>
    public int Length => Point.Length;

    /// <summary>The point <c>x + t·d</c> of the best step kept so far (the result, after a search whose step is &gt; 0).</summary>
    public float[] Point { get; private set; }

    /// <summary>The gradient at <see cref="Point"/>.</summary>
    public float[] Gradient { get; private set; }

    /// <summary>The point being evaluated.</summary>
    public float[] TrialPoint { get; private set; }

    /// <summary>The gradient at <see cref="TrialPoint"/>.</summary>
    public float[] TrialGradient { get; private set; }

    /// <summary>Makes the trial the kept point (the old kept buffers become the next trial's).</summary>
    public void KeepTrial()
    {
        (Point, TrialPoint) = (TrialPoint, Point);
        (Gradient, TrialGradient) = (TrialGradient, Gradient);
    }
}
