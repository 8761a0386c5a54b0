using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetAdam.Model;

namespace MLNetAdam.Training;

/// <summary>
/// Trains an MLP regressor on a Single label: the hidden layers of <see cref="AdamMlpTrainer"/>, one linear output,
/// and the example-weighted mean squared error (half the squared residual, as scikit-learn's <c>MLPRegressor</c>) or
/// Huber loss. The label is standardized inside the trainer (its mean and standard deviation over the training rows)
/// and the map is folded back into the output layer, so <c>Score</c> comes out in the label's units. It returns an
/// <see cref="AdamMlpTransformer"/> that adds <c>Score</c> (Single) with the regression annotations, so
/// <c>Regression.Evaluate</c> and <c>CrossValidate</c> work on it. Same engine and options as <see cref="AdamMlpTrainer"/>;
/// losses (training and validation) are reported in standardized units.
/// </summary>
public sealed class AdamMlpRegressionTrainer : AdamMlpTrainerBase
{
    private readonly Options _options;

    /// <summary>Creates a trainer with the given options.</summary>
    /// <param name="mlContext">The context: its seed, its log and its cancellation are used.</param>
    /// <param name="options">Training options; checked when training starts.</param>
    public AdamMlpRegressionTrainer(MLContext mlContext, Options options)
        : this(mlContext, mlContext, options)
    {
    }

    /// <summary>Creates a trainer with default options and the given columns and hidden layers.</summary>
    /// <param name="mlContext">The context: its seed and its log are used.</param>
    /// <param name="labelColumnName">Label column (Single).</param>
    /// <param name="featureColumnName">Feature column (a known-size vector of Single).</param>
    /// <param name="hiddenLayerSizes">Hidden layer widths; null means <c>[100]</c>.</param>
    public AdamMlpRegressionTrainer(MLContext mlContext, string labelColumnName = Defaults.LabelColumnName, string featureColumnName = Defaults.FeatureColumnName, int[]? hiddenLayerSizes = null)
        : this(mlContext, new Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            HiddenLayerSizes = hiddenLayerSizes ?? [Defaults.HiddenLayerSize],
        })
    {
    }

    internal AdamMlpRegressionTrainer(IHostEnvironment env, MLContext context, Options options)
        : base(env, context, options) => _options = options;

    private protected override MlpTask Task => MlpTask.Regression;

    private protected override OutputHead Head =>
        _options.Loss == RegressionLossKind.Huber ? OutputHead.Huber(_options.HuberDelta) : OutputHead.SquaredError;

    private protected override IEstimator<ITransformer> ReferenceTrainer(MLContext mlContext, string label, string features, string? weight) =>
        mlContext.Regression.Trainers.Sdca(label, features, weight);

    private protected override void ValidateTaskOptions(AdamMlpOptionsBase options)
    {
        var regression = (Options)options;
        RequireOption(Enum.IsDefined(regression.Loss), nameof(Options.Loss), "be SquaredError or Huber", regression.Loss);
        RequireOption(regression.HuberDelta > 0 && double.IsFinite(regression.HuberDelta), nameof(Options.HuberDelta), "be a finite number > 0", regression.HuberDelta);
    }

    /// <summary>Options of <see cref="AdamMlpRegressionTrainer"/>.</summary>
    public sealed class Options : AdamMlpOptionsBase
    {
        /// <summary>The loss on the standardized label. Default <see cref="RegressionLossKind.SquaredError"/>.</summary>
        public RegressionLossKind Loss { get; set; } = RegressionLossKind.SquaredError;

        /// <summary>
        /// Threshold of the Huber loss, in standard deviations of the label (the loss is quadratic below it and linear
        /// above). Default 1.35 (robust with 95 % efficiency under normal noise); must be finite and &gt; 0. Used only with <see cref="RegressionLossKind.Huber"/>.
        /// </summary>
        public double HuberDelta { get; set; } = 1.35;
    }
}

/// <summary>The loss of <see cref="AdamMlpRegressionTrainer"/>.</summary>
public enum RegressionLossKind
{
    /// <summary>Half the squared residual (mean squared error).</summary>
    SquaredError = 0,

    /// <summary>Huber: quadratic within <see cref="AdamMlpRegressionTrainer.Options.HuberDelta"/> standard deviations, linear beyond.</summary>
    Huber = 1,
}
