using MLNetAdam.Training;

namespace Microsoft.ML;

/// <summary>
/// The catalog entries of MLNetAdam, as ML.NET's trainer packages add theirs:
/// <c>mlContext.MulticlassClassification.Trainers.AdamMlp(...)</c>,
/// <c>mlContext.BinaryClassification.Trainers.AdamMlp(...)</c> and <c>mlContext.Regression.Trainers.AdamMlp(...)</c>.
/// </summary>
// The three AdamMlp overloads with optional parameters extend three different catalogs, so no call is ambiguous.
#pragma warning disable RS0026
public static class AdamMlpCatalog
{
    /// <summary>
    /// Creates an <see cref="AdamMlpTrainer"/>: a softmax multilayer perceptron trained with Adam, with scikit-learn's
    /// defaults (one hidden layer of 100 ReLU units, standardized features, up to 200 epochs with a convergence stop).
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog of an <see cref="MLContext"/>.</param>
    /// <param name="labelColumnName">Label column (a key type).</param>
    /// <param name="featureColumnName">Feature column (a known-size vector of Single).</param>
    /// <param name="exampleWeightColumnName">Optional example-weight column.</param>
    /// <param name="hiddenLayerSizes">Hidden layer widths; null means <c>[100]</c>.</param>
    /// <param name="numberOfEpochs">Largest number of passes over the data.</param>
    /// <param name="batchSize">Rows per mini-batch.</param>
    public static AdamMlpTrainer AdamMlp(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = AdamMlpTrainer.Defaults.LabelColumnName,
        string featureColumnName = AdamMlpTrainer.Defaults.FeatureColumnName,
        string? exampleWeightColumnName = null,
        int[]? hiddenLayerSizes = null,
        int numberOfEpochs = AdamMlpTrainer.Defaults.NumberOfEpochs,
        int batchSize = AdamMlpTrainer.Defaults.BatchSize) =>
        catalog.AdamMlp(Common(new AdamMlpTrainer.Options(), labelColumnName, featureColumnName, exampleWeightColumnName, hiddenLayerSizes, numberOfEpochs, batchSize));

    /// <summary>Creates an <see cref="AdamMlpTrainer"/> with the given options.</summary>
    /// <param name="catalog">The multiclass trainers catalog of an <see cref="MLContext"/>.</param>
    /// <param name="options">Training options.</param>
    public static AdamMlpTrainer AdamMlp(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, AdamMlpTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        // ML.NET keeps the catalog's environment internal (MLNetInternals opens that one door); the environment gives the
        // context's seed, log and cancellation. Saving builds ML.NET's transformers in a context of its own.
        return new AdamMlpTrainer(MLNetInternals.CatalogEnvironment(catalog), new MLContext(), options);
    }

    /// <summary>
    /// Creates an <see cref="AdamMlpBinaryTrainer"/>: a multilayer perceptron with one logit (logistic loss) trained
    /// with Adam, with scikit-learn's defaults; the label is a Boolean column.
    /// </summary>
    /// <param name="catalog">The binary classification trainers catalog of an <see cref="MLContext"/>.</param>
    /// <param name="labelColumnName">Label column (Boolean).</param>
    /// <param name="featureColumnName">Feature column (a known-size vector of Single).</param>
    /// <param name="exampleWeightColumnName">Optional example-weight column.</param>
    /// <param name="hiddenLayerSizes">Hidden layer widths; null means <c>[100]</c>.</param>
    /// <param name="numberOfEpochs">Largest number of passes over the data.</param>
    /// <param name="batchSize">Rows per mini-batch.</param>
    public static AdamMlpBinaryTrainer AdamMlp(
        this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = AdamMlpTrainerBase.Defaults.LabelColumnName,
        string featureColumnName = AdamMlpTrainerBase.Defaults.FeatureColumnName,
        string? exampleWeightColumnName = null,
        int[]? hiddenLayerSizes = null,
        int numberOfEpochs = AdamMlpTrainerBase.Defaults.NumberOfEpochs,
        int batchSize = AdamMlpTrainerBase.Defaults.BatchSize) =>
        catalog.AdamMlp(Common(new AdamMlpBinaryTrainer.Options(), labelColumnName, featureColumnName, exampleWeightColumnName, hiddenLayerSizes, numberOfEpochs, batchSize));

    /// <summary>Creates an <see cref="AdamMlpBinaryTrainer"/> with the given options.</summary>
    /// <param name="catalog">The binary classification trainers catalog of an <see cref="MLContext"/>.</param>
    /// <param name="options">Training options.</param>
    public static AdamMlpBinaryTrainer AdamMlp(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, AdamMlpBinaryTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new AdamMlpBinaryTrainer(MLNetInternals.CatalogEnvironment(catalog), new MLContext(), options);
    }

    /// <summary>
    /// Creates an <see cref="AdamMlpRegressionTrainer"/>: a multilayer perceptron with one linear output (squared error
    /// on the standardized label) trained with Adam, with scikit-learn's defaults; the label is a Single column.
    /// </summary>
    /// <param name="catalog">The regression trainers catalog of an <see cref="MLContext"/>.</param>
    /// <param name="labelColumnName">Label column (Single).</param>
    /// <param name="featureColumnName">Feature column (a known-size vector of Single).</param>
    /// <param name="exampleWeightColumnName">Optional example-weight column.</param>
    /// <param name="hiddenLayerSizes">Hidden layer widths; null means <c>[100]</c>.</param>
    /// <param name="numberOfEpochs">Largest number of passes over the data.</param>
    /// <param name="batchSize">Rows per mini-batch.</param>
    public static AdamMlpRegressionTrainer AdamMlp(
        this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = AdamMlpTrainerBase.Defaults.LabelColumnName,
        string featureColumnName = AdamMlpTrainerBase.Defaults.FeatureColumnName,
        string? exampleWeightColumnName = null,
        int[]? hiddenLayerSizes = null,
        int numberOfEpochs = AdamMlpTrainerBase.Defaults.NumberOfEpochs,
        int batchSize = AdamMlpTrainerBase.Defaults.BatchSize) =>
        catalog.AdamMlp(Common(new AdamMlpRegressionTrainer.Options(), labelColumnName, featureColumnName, exampleWeightColumnName, hiddenLayerSizes, numberOfEpochs, batchSize));

    /// <summary>Creates an <see cref="AdamMlpRegressionTrainer"/> with the given options.</summary>
    /// <param name="catalog">The regression trainers catalog of an <see cref="MLContext"/>.</param>
    /// <param name="options">Training options.</param>
    public static AdamMlpRegressionTrainer AdamMlp(this RegressionCatalog.RegressionTrainers catalog, AdamMlpRegressionTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new AdamMlpRegressionTrainer(MLNetInternals.CatalogEnvironment(catalog), new MLContext(), options);
    }

    private static TOptions Common<TOptions>(TOptions options, string label, string features, string? weight, int[]? hiddenLayerSizes, int epochs, int batchSize)
        where TOptions : AdamMlpOptionsBase
    {
        options.LabelColumnName = label;
        options.FeatureColumnName = features;
        options.ExampleWeightColumnName = weight;
        options.HiddenLayerSizes = hiddenLayerSizes ?? [AdamMlpTrainerBase.Defaults.HiddenLayerSize];
        options.NumberOfEpochs = epochs;
        options.BatchSize = batchSize;
        return options;
    }
}
#pragma warning restore RS0026
