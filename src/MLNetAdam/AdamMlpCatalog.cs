using MLNetAdam.Training;

namespace Microsoft.ML;

/// <summary>
/// The catalog entry of MLNetAdam, as ML.NET's trainer packages add theirs:
/// <c>mlContext.MulticlassClassification.Trainers.AdamMlp(...)</c>.
/// </summary>
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
        catalog.AdamMlp(new AdamMlpTrainer.Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            ExampleWeightColumnName = exampleWeightColumnName,
            HiddenLayerSizes = hiddenLayerSizes ?? [AdamMlpTrainer.Defaults.HiddenLayerSize],
            NumberOfEpochs = numberOfEpochs,
            BatchSize = batchSize,
        });

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
}
