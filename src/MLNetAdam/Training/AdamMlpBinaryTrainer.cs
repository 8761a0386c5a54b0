using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetAdam.Model;

namespace MLNetAdam.Training;

/// <summary>
/// Trains a binary MLP classifier on a Boolean label: the hidden layers of <see cref="AdamMlpTrainer"/>, one output
/// logit, and the example-weighted mean logistic loss (sigmoid cross-entropy). It returns an
/// <see cref="AdamMlpTransformer"/> that adds the columns of ML.NET's calibrated binary classifiers: <c>Score</c>
/// (Single, the logit), <c>Probability</c> (Single, its sigmoid) and <c>PredictedLabel</c> (Boolean, probability above
/// 1/2), so <c>BinaryClassification.Evaluate</c> (AUC, PR curve), <c>CrossValidate</c> and
/// <c>PermutationFeatureImportance</c> work on it. Same engine and options as <see cref="AdamMlpTrainer"/>.
/// </summary>
public sealed class AdamMlpBinaryTrainer : AdamMlpTrainerBase
{
    private readonly Options _options;

    /// <summary>Creates a trainer with the given options.</summary>
    /// <param name="mlContext">The context: its seed, its log and its cancellation are used.</param>
    /// <param name="options">Training options; checked when training starts.</param>
    public AdamMlpBinaryTrainer(MLContext mlContext, Options options)
        : this(mlContext, mlContext, options)
    {
    }

    /// <summary>Creates a trainer with default options and the given columns and hidden layers.</summary>
    /// <param name="mlContext">The context: its seed and its log are used.</param>
    /// <param name="labelColumnName">Label column (Boolean).</param>
    /// <param name="featureColumnName">Feature column (a known-size vector of Single).</param>
    /// <param name="hiddenLayerSizes">Hidden layer widths; null means <c>[100]</c>.</param>
    public AdamMlpBinaryTrainer(MLContext mlContext, string labelColumnName = Defaults.LabelColumnName, string featureColumnName = Defaults.FeatureColumnName, int[]? hiddenLayerSizes = null)
        : this(mlContext, new Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            HiddenLayerSizes = hiddenLayerSizes ?? [Defaults.HiddenLayerSize],
        })
    {
    }

    internal AdamMlpBinaryTrainer(IHostEnvironment env, MLContext context, Options options)
        : base(env, context, options) => _options = options;

    private protected override MlpTask Task => MlpTask.BinaryClassification;

    private protected override OutputHead Head => OutputHead.Binary;

    private protected override ClassWeights? ClassWeights => _options.ClassWeights;

    private protected override IEstimator<ITransformer> ReferenceTrainer(MLContext mlContext, string label, string features, string? weight) =>
        mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression(label, features, weight);

    /// <summary>Options of <see cref="AdamMlpBinaryTrainer"/>.</summary>
    public sealed class Options : AdamMlpOptionsBase
    {
        /// <summary>
        /// Class weights multiplying the example weights: <see cref="ClassWeights.PositiveClass(float)"/>,
        /// <see cref="Training.ClassWeights.Balanced"/>, or explicit weights of "False" and "True"; null (default) for none.
        /// </summary>
        public ClassWeights? ClassWeights { get; set; }
    }
}
