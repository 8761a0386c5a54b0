using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetAdam.Model;
using MLNetAdam.Optimizers;

namespace MLNetAdam.Training;

/// <summary>
/// Trains a softmax multilayer perceptron classifier: fully connected hidden layers with an activation, a softmax
/// output layer, and the example-weighted mean cross-entropy (plus optional L2) minimized by a pluggable optimizer
/// (<see cref="AdamOptimizer"/> by default). An ML.NET estimator: put it in a pipeline after <c>MapValueToKey</c> on
/// the label and a feature vector, and it returns an <see cref="AdamMlpTransformer"/> that adds <c>Score</c> and
/// <c>PredictedLabel</c>. For two classes with AUC and a <c>Probability</c> column use <see cref="AdamMlpBinaryTrainer"/>;
/// for numeric labels <see cref="AdamMlpRegressionTrainer"/>. See <see cref="AdamMlpTrainerBase"/> for how rows are read.
/// </summary>
public sealed class AdamMlpTrainer : AdamMlpTrainerBase
{
    private readonly Options _options;

    /// <summary>Creates a trainer with the given options.</summary>
    /// <param name="mlContext">The context: its seed, its log and its cancellation are used.</param>
    /// <param name="options">Training options; checked when training starts.</param>
    public AdamMlpTrainer(MLContext mlContext, Options options)
        : this(mlContext, mlContext, options)
    {
    }

    /// <summary>Creates a trainer with default options and the given columns and hidden layers.</summary>
    /// <param name="mlContext">The context: its seed and its log are used.</param>
    /// <param name="labelColumnName">Label column (a key type).</param>
    /// <param name="featureColumnName">Feature column (a known-size vector of Single).</param>
    /// <param name="hiddenLayerSizes">Hidden layer widths; null means <c>[100]</c>.</param>
    public AdamMlpTrainer(MLContext mlContext, string labelColumnName = Defaults.LabelColumnName, string featureColumnName = Defaults.FeatureColumnName, int[]? hiddenLayerSizes = null)
        : this(mlContext, new Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            HiddenLayerSizes = hiddenLayerSizes ?? [Defaults.HiddenLayerSize],
        })
    {
    }

    internal AdamMlpTrainer(IHostEnvironment env, MLContext context, Options options)
        : base(env, context, options) => _options = options;

    private protected override MlpTask Task => MlpTask.MulticlassClassification;

    private protected override OutputHead Head => OutputHead.Multiclass;

    private protected override ClassWeights? ClassWeights => _options.ClassWeights;

    private protected override IEstimator<ITransformer> ReferenceTrainer(MLContext mlContext, string label, string features, string? weight) =>
        mlContext.MulticlassClassification.Trainers.LbfgsMaximumEntropy(label, features, weight);

    /// <summary>Options of <see cref="AdamMlpTrainer"/>.</summary>
    public sealed class Options : AdamMlpOptionsBase
    {
        /// <summary>Per-class weights multiplying the example weights (<see cref="Training.ClassWeights.Balanced"/> or explicit); null (default) for none.</summary>
        public ClassWeights? ClassWeights { get; set; }
    }
}
