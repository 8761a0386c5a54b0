using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetAdam.Data;
using MLNetAdam.Persistence;
using MLNetAdam.Persistence.Onnx;

namespace MLNetAdam.Model;

/// <summary>
/// The fitted MLP returned by <c>AdamMlpTrainer</c>, <c>AdamMlpBinaryTrainer</c> and <c>AdamMlpRegressionTrainer</c>.
/// It adds the columns ML.NET's own trainers of the same task add (see <see cref="AdamMlpModelParameters.Task"/>):
/// <list type="bullet">
/// <item>Multiclass: <c>Score</c>, a vector of class probabilities (softmax, summing to 1; slot names are the class
/// names), and <c>PredictedLabel</c>, the most probable class as a key of the label's key type, carrying the
/// label's key values so that <c>MapKeyToValue</c> restores the original labels.</item>
/// <item>Binary: <c>Score</c> (Single, the logit), <c>Probability</c> (Single, its sigmoid) and <c>PredictedLabel</c>
/// (Boolean, logit &gt; 0), with the annotations of ML.NET's calibrated binary classifiers.</item>
/// <item>Regression: <c>Score</c> (Single, in the label's units).</item>
/// </list>
/// </summary>
public sealed class AdamMlpTransformer : ISingleFeaturePredictionTransformer<AdamMlpModelParameters>
{
    /// <summary>Name of the score column added by the transformer.</summary>
    public const string ScoreColumnName = "Score";

    /// <summary>Name of the predicted-label column added by the transformer (classifiers).</summary>
    public const string PredictedLabelColumnName = "PredictedLabel";

    /// <summary>Name of the probability column added by the transformer of a binary model.</summary>
    public const string ProbabilityColumnName = "Probability";

    private readonly DataViewSchema.Annotations _labelAnnotations;

    internal AdamMlpTransformer(MLContext mlContext, AdamMlpModelParameters model, string featureColumnName, DataViewType featureColumnType, DataViewSchema.Annotations labelAnnotations)
    {
        MLContext = mlContext;
        Model = model;
        FeatureColumnName = featureColumnName;
        FeatureColumnType = featureColumnType;
        _labelAnnotations = labelAnnotations;
    }

    /// <summary>The context the model was trained in (used to build ML.NET's own transformers when saving).</summary>
    internal MLContext MLContext { get; }

    /// <summary>The label column's annotations at training time (its <c>KeyValues</c>: the class values in key order).</summary>
    internal DataViewSchema.Annotations LabelAnnotations => _labelAnnotations;

    /// <summary>The trained network.</summary>
    public AdamMlpModelParameters Model { get; }

    /// <summary>Name of the feature column the model reads.</summary>
    public string FeatureColumnName { get; }

    /// <summary>Type of the feature column the model was trained on (a known-size vector of Single).</summary>
    public DataViewType FeatureColumnType { get; }

    /// <summary>True: the transformer maps each row independently, so it works in a <c>PredictionEngine</c>.</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>The schema of <see cref="Transform"/>'s output: the input columns, then <c>Score</c> and <c>PredictedLabel</c>.</summary>
    /// <param name="inputSchema">Schema of the data to score; must have the feature column with the trained size.</param>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => new ScoringSchema(this, inputSchema).Output;

    /// <summary>Scores <paramref name="input"/> lazily: rows are computed as a cursor reaches them.</summary>
    /// <param name="input">Data with the feature column.</param>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new ScoringDataView(new ScoringSchema(this, input.Schema), input);
    }

    /// <summary>A mapper that scores one row at a time (used by <c>PredictionEngine</c>).</summary>
    /// <param name="inputSchema">Schema of the rows to score.</param>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new ScoringMapper(new ScoringSchema(this, inputSchema));

    /// <summary>
    /// Writes the network as a standard ONNX model (IR version 7, operator set 13) that ONNX Runtime and other
    /// ONNX tools can run: input <c>features</c> float [N, <see cref="AdamMlpModelParameters.InputSize"/>] (N rows).
    /// A multiclass model outputs <c>probabilities</c> float [N, <see cref="AdamMlpModelParameters.ClassCount"/>]
    /// (softmax, equal to <c>Score</c>) and <c>label</c> int64 [N] (the 0-based index of the most probable class, i.e.
    /// <c>PredictedLabel - 1</c>; <see cref="AdamMlpModelParameters.ClassNames"/> gives its name). A binary model
    /// outputs <c>score</c> float [N, 1] (the logit), <c>probability</c> float [N, 1] (<c>Sigmoid</c>) and
    /// <c>label</c> bool [N, 1]; a regression model <c>score</c> float [N, 1] (identity output, the label's units).
    /// </summary>
    /// <remarks>
    /// Each layer is a <c>Gemm</c> with its weights and biases as float initializers, followed by the hidden activation
    /// (GELU, which opset 13 lacks, is composed of <c>Mul</c>, <c>Add</c> and <c>Tanh</c>), then <c>Softmax</c> and
    /// <c>ArgMax</c> (multiclass) or <c>Sigmoid</c> and <c>Greater</c> (binary). The model's metadata holds the layer sizes, activation, class names and a checksum, so
    /// <see cref="AdamMlpModelParameters.LoadFromOnnx(Stream)"/> can read the network back. The same model always gives
    /// the same bytes. The stream is written from its current position and left open.
    /// </remarks>
    /// <param name="stream">A writable stream.</param>
    public void ExportToOnnx(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(OnnxExporter.Export(Model.ToOnnx(), Model.OnnxActivation));
    }

    /// <summary>
    /// Writes the network to the file <paramref name="path"/> as a standard ONNX model (IR version 7, operator set 13);
    /// see <see cref="ExportToOnnx(Stream)"/> for its inputs and outputs.
    /// </summary>
    /// <remarks>
    /// The model is written to a temporary file in the same folder, flushed to disk and then renamed over
    /// <paramref name="path"/>, so an existing file is replaced in one step and never left half-written.
    /// </remarks>
    /// <param name="path">The file to create or replace; its folder must exist.</param>
    public void ExportToOnnx(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = OnnxExporter.Export(Model.ToOnnx(), Model.OnnxActivation);
        AtomicFile.Write(path, stream => stream.Write(bytes), "The ONNX file");
    }

    /// <summary>
    /// Saves the model for <c>mlContext.Model.Save</c> as a chain of ML.NET's own transformers that computes the same
    /// columns: <c>ApplyOnnxModel</c> over this network exported to ONNX, then for a multiclass model a Naive Bayes
    /// model that turns the arg max into the label key and column copies; for a binary model a linear model of weight
    /// exactly 1 (giving <c>Score</c> and the Boolean <c>PredictedLabel</c>) and a fixed Platt calibrator
    /// (<c>Probability</c>); for regression a linear regression model of weight exactly 1 (<c>Score</c>). <c>mlContext.Model.Load</c> rebuilds that
    /// chain without MLNetAdam (it needs the Microsoft.ML.OnnxTransformer and Microsoft.ML.OnnxRuntime packages);
    /// <see cref="AdamMlpModelParameters.LoadFromSavedModel(string)"/> recovers the network from the saved file.
    /// The loaded model's <c>Score</c> agrees to float rounding and its <c>PredictedLabel</c> exactly, with the label's
    /// key values; <c>Score</c> then carries no annotations (no slot names).
    /// </summary>
    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        string temporaryFolder = MLContext.TempFilePath ?? Path.GetTempPath();
        Action<TransformerChain<ITransformer>> save = chain => ((ICanSaveModel)chain).Save(ctx);
        if (Model.Task == MlpTask.MulticlassClassification)
            PortableScoringChain.Use(
                MLContext,
                OnnxExporter.ExportForRowScoring(Model.ToOnnx(), Model.OnnxActivation, FeatureColumnName, PortableScoringChain.ProbabilitiesColumn, PortableScoringChain.OneHotColumn),
                (FeatureColumnName, FeatureColumnType),
                _labelAnnotations,
                Model.ClassCount,
                (ScoreColumnName, PredictedLabelColumnName),
                temporaryFolder,
                save);
        else
            PortableScoringChain.UseSingleOutput(
                MLContext,
                OnnxExporter.ExportSingleOutputForRowScoring(Model.ToOnnx(), Model.OnnxActivation, FeatureColumnName, PortableScoringChain.OutputColumn),
                (FeatureColumnName, FeatureColumnType),
                binary: Model.Task == MlpTask.BinaryClassification,
                temporaryFolder,
                save);
    }

    /// <summary>Builds the output schema for an input schema and knows where each output column comes from.</summary>
    internal sealed class ScoringSchema
    {
        public ScoringSchema(AdamMlpTransformer owner, DataViewSchema input)
        {
            ArgumentNullException.ThrowIfNull(input);
            Owner = owner;
            Input = input;
            Features = ColumnChecks.Features(input, owner.FeatureColumnName);
            int size = ((VectorDataViewType)Features.Type).Size;
            if (size != owner.Model.InputSize)
                throw new ArgumentException($"Feature column '{owner.FeatureColumnName}' has {size} values per row, but the model was trained on {owner.Model.InputSize}.", nameof(input));

            var model = owner.Model;
            uint setId = NextScoreColumnSetId(input);
            string kind = model.Task switch
            {
                MlpTask.MulticlassClassification => AnnotationKinds.MulticlassClassification,
                MlpTask.BinaryClassification => AnnotationKinds.BinaryClassification,
                _ => AnnotationKinds.Regression,
            };
            var builder = new DataViewSchema.Builder();
            builder.AddColumns(input);
            var scoreAnnotations = new DataViewSchema.Annotations.Builder();
            if (model.Task == MlpTask.MulticlassClassification)
            {
                int classes = model.ClassCount;
                scoreAnnotations.Add(AnnotationKinds.SlotNames, new VectorDataViewType(TextDataViewType.Instance, classes), (ref VBuffer<ReadOnlyMemory<char>> names) =>
                {
                    var editor = VBufferEditor.Create(ref names, classes);
                    for (int c = 0; c < classes; c++)
                        editor.Values[c] = model.ClassNames[c].AsMemory();
                    names = editor.Commit();
                });
                AddScoreKind(scoreAnnotations, setId, kind, AnnotationKinds.ScoreValueKindScore);
                builder.AddColumn(ScoreColumnName, new VectorDataViewType(NumberDataViewType.Single, classes), scoreAnnotations.ToAnnotations());
                var labelAnnotations = new DataViewSchema.Annotations.Builder();
                labelAnnotations.Add(owner._labelAnnotations, name => name == AnnotationKinds.KeyValues);
                AddScoreKind(labelAnnotations, setId, kind, AnnotationKinds.ScoreValueKindPredictedLabel);
                builder.AddColumn(PredictedLabelColumnName, new KeyDataViewType(typeof(uint), classes), labelAnnotations.ToAnnotations());
            }
            else
            {
                AddScoreKind(scoreAnnotations, setId, kind, AnnotationKinds.ScoreValueKindScore);
                builder.AddColumn(ScoreColumnName, NumberDataViewType.Single, scoreAnnotations.ToAnnotations());
                if (model.Task == MlpTask.BinaryClassification)
                {
                    var probabilityAnnotations = new DataViewSchema.Annotations.Builder();
                    AddScoreKind(probabilityAnnotations, setId, kind, AnnotationKinds.ScoreValueKindProbability);
                    probabilityAnnotations.AddPrimitiveValue(AnnotationKinds.IsNormalized, BooleanDataViewType.Instance, true);
                    builder.AddColumn(ProbabilityColumnName, NumberDataViewType.Single, probabilityAnnotations.ToAnnotations());
                    var labelAnnotations = new DataViewSchema.Annotations.Builder();
                    AddScoreKind(labelAnnotations, setId, kind, AnnotationKinds.ScoreValueKindPredictedLabel);
                    builder.AddColumn(PredictedLabelColumnName, BooleanDataViewType.Instance, labelAnnotations.ToAnnotations());
                }
            }
            Output = builder.ToSchema();
            Score = Output[input.Count];
            Probability = model.Task == MlpTask.BinaryClassification ? Output[input.Count + 1] : null;
            PredictedLabel = model.Task switch
            {
                MlpTask.MulticlassClassification => Output[input.Count + 1],
                MlpTask.BinaryClassification => Output[input.Count + 2],
                _ => null,
            };
        }

        public AdamMlpTransformer Owner { get; }

        public DataViewSchema Input { get; }

        public DataViewSchema Output { get; }

        public DataViewSchema.Column Features { get; }

        public DataViewSchema.Column Score { get; }

        /// <summary>The probability column of a binary model; null otherwise.</summary>
        public DataViewSchema.Column? Probability { get; }

        /// <summary>The predicted-label column of a classifier; null for regression.</summary>
        public DataViewSchema.Column? PredictedLabel { get; }

        /// <summary>Whether an output column is one of ours (else it passes an input column through).</summary>
        public bool IsOwn(DataViewSchema.Column column) => column.Index >= Input.Count;

        /// <summary>The input columns needed to produce <paramref name="outputColumns"/>.</summary>
        public IEnumerable<DataViewSchema.Column> Dependencies(IEnumerable<DataViewSchema.Column> outputColumns)
        {
            var needed = new List<DataViewSchema.Column>();
            bool scoring = false;
            foreach (var column in outputColumns)
            {
                if (IsOwn(column))
                    scoring = true;
                else
                    needed.Add(Input[column.Index]);
            }
            if (scoring && !needed.Any(c => c.Index == Features.Index))
                needed.Add(Features);
            return needed;
        }

        private static void AddScoreKind(DataViewSchema.Annotations.Builder annotations, uint setId, string kind, string valueKind)
        {
            annotations.AddPrimitiveValue(AnnotationKinds.ScoreColumnKind, TextDataViewType.Instance, kind.AsMemory());
            annotations.AddPrimitiveValue(AnnotationKinds.ScoreValueKind, TextDataViewType.Instance, valueKind.AsMemory());
            annotations.AddPrimitiveValue(AnnotationKinds.ScoreColumnSetId, AnnotationKinds.ScoreColumnSetIdType, setId);
        }

        // Each scorer stamps its output columns with a set id one above the largest already in the schema.
        private static uint NextScoreColumnSetId(DataViewSchema schema)
        {
            uint max = 0;
            foreach (var column in schema)
            {
                var type = column.Annotations.Schema.GetColumnOrNull(AnnotationKinds.ScoreColumnSetId)?.Type;
                if (type is KeyDataViewType && type.RawType == typeof(uint))
                {
                    uint value = 0;
                    column.Annotations.GetValue(AnnotationKinds.ScoreColumnSetId, ref value);
                    max = Math.Max(max, value);
                }
            }
            return max + 1;
        }
    }
}
