using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetAdam.Persistence.Onnx;

/// <summary>
/// Builds, from public ML.NET transformers only, a chain that adds the same score and predicted-label columns as
/// MLNetAdam's transformer, so that <c>mlContext.Model.Save</c> can store it and
/// <c>mlContext.Model.Load</c> can rebuild it in a process that does not have MLNetAdam:
/// <list type="number">
/// <item><c>ApplyOnnxModel</c> over <see cref="OnnxExporter.ExportForRowScoring"/>'s network: the feature column in,
/// the probabilities and the one-hot vector of the arg max out (temporary columns).</item>
/// <item>A <c>NaiveBayes</c> multiclass model fitted on the K one-hot rows labelled 1..K, with the training label's
/// key values: its <c>PredictedLabel</c> is a key of the label's type whose value for a one-hot input is exactly that
/// class (with one row per class the matching class scores 2 ln 2 above every other), carrying the original
/// <c>KeyValues</c> so <c>MapKeyToValue</c> and the evaluators work.</item>
/// <item><c>CopyColumns</c> and <c>DropColumns</c> replace Naive Bayes's scores by the probabilities and leave exactly
/// the transformer's output: the input columns, then <c>Score</c> and <c>PredictedLabel</c>. <c>Score</c> carries no
/// annotations (no public transformer can attach the class names as slot names to computed values).</item>
/// </list>
/// ML.NET cannot read a rank-0 ONNX output, so the key cannot come from ONNX directly; Naive Bayes is the public,
/// saveable way to turn a one-hot vector into a key with the original key values.
/// </summary>
internal static class PortableScoringChain
{
    /// <summary>The temporary column of the probabilities (an output of the row-scoring ONNX model).</summary>
    public const string ProbabilitiesColumn = "AdamMlp.Probabilities";
    /// <summary>The temporary column of the one-hot arg max (an output of the row-scoring ONNX model).</summary>
    public const string OneHotColumn = "AdamMlp.OneHot";
    private const string LabelColumn = "AdamMlp.Label";
    private const string KeyColumn = "AdamMlp.PredictedLabel";

    // ML.NET's annotation of a key column's values (Data/AnnotationKinds is above this layer).
    private const string KeyValues = "KeyValues";

    /// <summary>
    /// Writes <paramref name="rowScoringOnnx"/> (<see cref="OnnxExporter.ExportForRowScoring"/>'s model, whose input is
    /// the feature column and whose outputs are the probability and one-hot temporaries) to a temporary file, builds
    /// the chain around it, runs <paramref name="use"/> on it (e.g. saving it), then disposes the chain and deletes the
    /// file: ML.NET reads the ONNX file again when it saves, so the file must outlive the save.
    /// </summary>
    /// <param name="ml">The context that builds ML.NET's transformers.</param>
    /// <param name="rowScoringOnnx">The network for row-by-row scoring.</param>
    /// <param name="features">Name and type of the feature column.</param>
    /// <param name="labelAnnotations">The training label's annotations (its <c>KeyValues</c>).</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="outputs">Names of the score and predicted-label columns to produce.</param>
    /// <param name="temporaryFolder">Where the ONNX file is written while the chain is in use.</param>
    /// <param name="use">What to do with the chain.</param>
    public static void Use(
        MLContext ml, byte[] rowScoringOnnx, (string Name, DataViewType Type) features, DataViewSchema.Annotations labelAnnotations, int classes,
        (string Score, string PredictedLabel) outputs, string temporaryFolder, Action<TransformerChain<ITransformer>> use)
    {
        string onnxPath = Path.Combine(temporaryFolder, $"mlnetadam-{Guid.NewGuid():N}.onnx");
        var transformers = new List<ITransformer>();
        try
        {
            File.WriteAllBytes(onnxPath, rowScoringOnnx);

            // Fitting the ONNX transformer only checks the schema: an empty view with the feature column suffices.
            var featureSchema = new DataViewSchema.Builder();
            featureSchema.AddColumn(features.Name, features.Type);
            IDataView data = new InMemoryDataView(featureSchema.ToSchema(), [[]]);
            ITransformer onnx;
            try
            {
                onnx = ml.Transforms.ApplyOnnxModel([ProbabilitiesColumn, OneHotColumn], [features.Name], onnxPath).Fit(data);
            }
            catch (Exception e) when (NativeRuntimeMissing(e))
            {
                throw new InvalidOperationException(
                    "Saving the model with mlContext.Model.Save needs ONNX Runtime's native library, which MLNetAdam leaves to the app: "
                    + "add the NuGet package Microsoft.ML.OnnxRuntime (CPU) or Microsoft.ML.OnnxRuntime.Gpu (CUDA). "
                    + "Training, scoring in memory and ExportToOnnx work without it.", e);
            }
            transformers.Add(onnx);
            data = onnx.Transform(data);

            var naiveBayes = ml.MulticlassClassification.Trainers.NaiveBayes(LabelColumn, OneHotColumn).Fit(OneHotRows(labelAnnotations, classes));
            transformers.Add(naiveBayes);
            data = naiveBayes.Transform(data);

            // Keep Naive Bayes's key, drop its scores (and any earlier score/label columns, which ours would hide anyway),
            // then add the score and the label in the transformer's order and remove the temporaries.
            data = Add(transformers, ml.Transforms.CopyColumns(KeyColumn, outputs.PredictedLabel), data);
            data = Add(transformers, ml.Transforms.DropColumns(outputs.Score, outputs.PredictedLabel), data);
            data = Add(transformers, ml.Transforms.CopyColumns(outputs.Score, ProbabilitiesColumn), data);
            data = Add(transformers, ml.Transforms.CopyColumns(outputs.PredictedLabel, KeyColumn), data);
            Add(transformers, ml.Transforms.DropColumns(ProbabilitiesColumn, OneHotColumn, KeyColumn), data);

            var chain = new TransformerChain<ITransformer>(transformers.ToArray());
            use(chain);
        }
        finally
        {
            foreach (var t in transformers)
                (t as IDisposable)?.Dispose();
            File.Delete(onnxPath);
        }
    }

    // ONNX Runtime's managed package finds no native library: a missing DLL somewhere in the exception chain.
    private static bool NativeRuntimeMissing(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is DllNotFoundException or EntryPointNotFoundException || e.Message.Contains("onnxruntime", StringComparison.OrdinalIgnoreCase) && e is TypeInitializationException)
                return true;
        return false;
    }

    private static IDataView Add<TTransformer>(List<ITransformer> transformers, IEstimator<TTransformer> estimator, IDataView data)
        where TTransformer : ITransformer
    {
        var transformer = estimator.Fit(data);
        transformers.Add(transformer);
        return transformer.Transform(data);
    }

    /// <summary>K rows: the one-hot vector of class k labelled with key k + 1, the label carrying the training label's key values.</summary>
    private static InMemoryDataView OneHotRows(DataViewSchema.Annotations trainingLabel, int classes)
    {
        var labelType = new KeyDataViewType(typeof(uint), classes);
        var labelAnnotations = new DataViewSchema.Annotations.Builder();
        var keyValues = trainingLabel.Schema.GetColumnOrNull(KeyValues);
        if (keyValues?.Type is VectorDataViewType { Size: var size } && size == classes)
            labelAnnotations.Add(trainingLabel, name => name == KeyValues);
        var schema = new DataViewSchema.Builder();
        schema.AddColumn(LabelColumn, labelType, labelAnnotations.ToAnnotations());
        schema.AddColumn(OneHotColumn, new VectorDataViewType(NumberDataViewType.Single, classes));

        var labels = new object[classes];
        var features = new object[classes];
        for (int c = 0; c < classes; c++)
        {
            labels[c] = (uint)(c + 1);
            features[c] = new VBuffer<float>(classes, 1, [1f], [c]);
        }
        return new InMemoryDataView(schema.ToSchema(), [labels, features]);
    }
}
