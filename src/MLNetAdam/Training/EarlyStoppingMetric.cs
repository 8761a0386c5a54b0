namespace MLNetAdam.Training;

/// <summary>What <see cref="EarlyStopping"/> watches.</summary>
public enum EarlyStoppingMetric
{
    /// <summary>The weighted mean cross-entropy on the validation data (lower is better). Needs validation data.</summary>
    ValidationLoss = 0,

    /// <summary>The weighted share of validation rows whose most probable class is right (higher is better). Needs validation data.</summary>
    ValidationAccuracy = 1,

    /// <summary>The epoch's training loss (lower is better): a convergence test, as scikit-learn's <c>tol</c> and <c>n_iter_no_change</c>.</summary>
    TrainingLoss = 2,

    /// <summary>The area under the ROC curve on the validation data (higher is better). Binary models only; needs validation data (held in one process).</summary>
    ValidationAuc = 3,

    /// <summary>The coefficient of determination R² on the validation data (higher is better). Regression models only; needs validation data.</summary>
    ValidationRSquared = 4,
}
