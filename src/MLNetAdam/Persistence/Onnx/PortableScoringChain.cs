using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

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
        (string Score, string PredictedLabel) outputs, string temporaryFolder, Action<TransformerChain<ITransformer>> use) =>
        WithOnnx(ml, rowScoringOnnx, features, [ProbabilitiesColumn, OneHotColumn], temporaryFolder, use, (transformers, data) =>
        {
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
        });

    /// <summary>
    /// The chain of a one-output network (<see cref="OnnxExporter.ExportSingleOutputForRowScoring"/>'s model, whose output
    /// is <see cref="OutputColumn"/>, a vector of one Single), from public ML.NET transformers only:
    /// <list type="bullet">
    /// <item>Binary: ML.NET's <c>AveragedPerceptron</c> fitted on two rows to weight exactly 1 and bias exactly 0 over the
    /// one-value vector, so its <c>Score</c> is the logit to the bit and its <c>PredictedLabel</c> (Boolean) is
    /// <c>logit &gt; 0</c>; then the fixed Platt calibrator with slope −1 and offset 0, whose <c>Probability</c> is the
    /// logit's sigmoid. These are the columns and annotations of ML.NET's own binary classifiers.</item>
    /// <item>Regression: ML.NET's <c>OnlineGradientDescent</c> fitted the same way to weight 1 and bias 0, whose <c>Score</c>
    /// (with the regression annotations) is the network's output to the bit.</item>
    /// </list>
    /// (ML.NET's ONNX transformer turns every tensor into a vector column and cannot read a rank-0 output, and no public
    /// ML.NET transformer turns a one-value vector into a scalar; a linear model whose weights are exactly 1 and 0 does.)
    /// Both fits are checked: if a future ML.NET trained them to other weights, saving fails with an error rather than
    /// storing a model that scores differently.
    /// </summary>
    /// <param name="ml">The context that builds ML.NET's transformers.</param>
    /// <param name="rowScoringOnnx">The one-output network for row-by-row scoring.</param>
    /// <param name="features">Name and type of the feature column.</param>
    /// <param name="binary">Whether the output is a binary logit (else a regression value).</param>
    /// <param name="temporaryFolder">Where the ONNX file is written while the chain is in use.</param>
    /// <param name="use">What to do with the chain.</param>
    public static void UseSingleOutput(
        MLContext ml, byte[] rowScoringOnnx, (string Name, DataViewType Type) features, bool binary, string temporaryFolder, Action<TransformerChain<ITransformer>> use) =>
        WithOnnx(ml, rowScoringOnnx, features, [OutputColumn], temporaryFolder, use, (transformers, data) =>
        {
            if (binary)
            {
                data = AddIdentity(transformers, data, new AveragedPerceptronTrainer.Options(), 0.5f, ml.BinaryClassification.Trainers.AveragedPerceptron,
                    BooleanDataViewType.Instance, [true, false]);
                data = Add(transformers, ml.BinaryClassification.Calibrators.Platt(slope: -1, offset: 0), data);

                // ML.NET puts PredictedLabel before Probability; move it last, as the transformer has it.
                data = Add(transformers, ml.Transforms.CopyColumns(KeyColumn, PredictedLabel), data);
                data = Add(transformers, ml.Transforms.DropColumns(PredictedLabel), data);
                data = Add(transformers, ml.Transforms.CopyColumns(PredictedLabel, KeyColumn), data);
                data = Add(transformers, ml.Transforms.DropColumns(KeyColumn), data);
            }
            else
            {
                data = AddIdentity(transformers, data, new OnlineGradientDescentTrainer.Options(), 0.25f, ml.Regression.Trainers.OnlineGradientDescent,
                    NumberDataViewType.Single, [1f, -1f]);
            }
            Add(transformers, ml.Transforms.DropColumns(OutputColumn), data);
        });

    // The column names ML.NET's binary and regression predictors write.
    private const string PredictedLabel = "PredictedLabel";

    /// <summary>The temporary column of a one-output network's output (a vector of one Single).</summary>
    public const string OutputColumn = "AdamMlp.Output";

    // Two rows, x = [1] and x = [−1], labelled +1 and −1 (true and false): one pass of the perceptron (rate 1/2, hinge
    // loss) or of gradient descent on the squared loss (rate 1/4) from zero weights lands exactly on weight 1, bias 0.
    private static InMemoryDataView IdentityRows(DataViewType labelType, object[] labels)
    {
        var schema = new DataViewSchema.Builder();
        schema.AddColumn(LabelColumn, labelType);
        schema.AddColumn(OutputColumn, new VectorDataViewType(NumberDataViewType.Single, 1));
        return new InMemoryDataView(schema.ToSchema(), [labels, [new VBuffer<float>(1, [1f]), new VBuffer<float>(1, [-1f])]]);
    }

    // Fits ML.NET's online linear trainer to weight 1, bias 0 over the output column (one pass over IdentityRows, no
    // averaging or shuffling, at the given rate), checks that it got exactly there, and adds it to the chain.
    private static IDataView AddIdentity<TOptions, TModel>(
        List<ITransformer> transformers, IDataView data, TOptions options, float rate,
        Func<TOptions, IEstimator<ISingleFeaturePredictionTransformer<TModel>>> trainer, DataViewType labelType, object[] labels)
        where TOptions : AveragedLinearOptions
        where TModel : LinearModelParameters
    {
        options.LabelColumnName = LabelColumn;
        options.FeatureColumnName = OutputColumn;
        options.LearningRate = rate;
        options.DecreaseLearningRate = false;
        options.Averaged = false;
        options.Shuffle = false;
        options.NumberOfIterations = 1;
        options.L2Regularization = 0;
        var fitted = trainer(options).Fit(IdentityRows(labelType, labels));
        var weights = fitted.Model.Weights;
        if (weights.Count != 1 || weights[0] != 1f || fitted.Model.Bias != 0f)
            throw new InvalidOperationException(
                $"Saving the model needs ML.NET's {typeof(TOptions).DeclaringType?.Name} to pass its one input through unchanged (weight 1, bias 0), but this ML.NET trained weight "
                + $"[{string.Join(", ", weights)}] and bias {fitted.Model.Bias}. This ML.NET version is not supported for Model.Save of a binary or regression AdamMlp model; use ExportToOnnx.");
        transformers.Add(fitted);
        return fitted.Transform(data);
    }

    // Writes the ONNX file, fits ML.NET's ONNX transformer over it, lets <paramref name="build"/> add the rest of the
    // chain, runs <paramref name="use"/> on the chain, then disposes it and deletes the file (ML.NET reads the file again
    // when it saves, so the file must outlive the save).
    private static void WithOnnx(
        MLContext ml, byte[] rowScoringOnnx, (string Name, DataViewType Type) features, string[] onnxOutputs, string temporaryFolder,
        Action<TransformerChain<ITransformer>> use, Action<List<ITransformer>, IDataView> build)
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
                onnx = ml.Transforms.ApplyOnnxModel(onnxOutputs, [features.Name], onnxPath).Fit(data);
            }
            catch (Exception e) when (NativeRuntimeMissing(e))
            {
                throw new InvalidOperationException(
                    "Saving the model with mlContext.Model.Save needs ONNX Runtime's native library, which MLNetAdam leaves to the app: "
                    + "add the NuGet package Microsoft.ML.OnnxRuntime (CPU) or Microsoft.ML.OnnxRuntime.Gpu (CUDA). "
                    + "Training, scoring in memory and ExportToOnnx work without it.", e);
            }
            transformers.Add(onnx);
            build(transformers, onnx.Transform(data));
            use(new TransformerChain<ITransformer>(transformers.ToArray()));
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
