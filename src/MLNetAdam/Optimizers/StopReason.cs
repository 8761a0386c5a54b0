namespace MLNetAdam.Optimizers;

/// <summary>Why a <see cref="BatchOptimizer"/>, or a phase of training, stopped before its limit.</summary>
public enum StopReason
{
    /// <summary>The gradient fell below the gradient tolerance.</summary>
    GradientConverged = 0,

    /// <summary>The loss or the step changed less than the change tolerance.</summary>
    ChangeConverged = 1,

    /// <summary>The iteration limit was reached.</summary>
    MaximumIterations = 2,

    /// <summary>The limit on loss-and-gradient evaluations was reached.</summary>
    MaximumEvaluations = 3,

    /// <summary>The line search found no acceptable step.</summary>
    LineSearchFailed = 4,

    /// <summary>Training was cancelled.</summary>
    Cancelled = 5,

    /// <summary>The trainer's early stopping ended the phase: the monitored metric stopped improving for its patience.</summary>
    EarlyStopping = 6,
}
