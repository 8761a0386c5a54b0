using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;

// Usage: ModelLoader <model.zip> <data.idv> <output.json> [--columns A,B,...] [--evaluate <label column>]
//        [--evaluate-binary <label column>] [--evaluate-regression <label column>] [--engine text|numeric|binary|regression]
//
// Loads the model with mlContext.Model.Load, scores the rows of an ML.NET binary data file (mlContext.Data.SaveAsBinary)
// and writes a JSON object: "schema" (the output columns), "columns" (the values of the requested columns, row by row),
// "metrics" (mlContext.MulticlassClassification.Evaluate against the label column) and "engine" (Score and
// PredictedLabel from a PredictionEngine over the same rows read as TextRow or NumericRow; Score, Probability and
// PredictedLabel of a binary model over BinaryRow; Score of a regression model over NumericRow). "binaryMetrics" and
// "regressionMetrics" hold mlContext.BinaryClassification.Evaluate and mlContext.Regression.Evaluate. Exit code 0 on success,
// 1 with the exception on stderr otherwise.
try
{
    if (args.Length < 3)
        throw new ArgumentException("Usage: ModelLoader <model.zip> <data.idv> <output.json> [--columns A,B] [--evaluate Label] [--engine text|numeric]");
    string modelPath = args[0], dataPath = args[1], outputPath = args[2];
    string[] columns = Option(args, "--columns")?.Split(',') ?? ["Score", "PredictedLabel"];
    string? evaluateLabel = Option(args, "--evaluate");
    string? engine = Option(args, "--engine");
    string? evaluateBinary = Option(args, "--evaluate-binary");
    string? evaluateRegression = Option(args, "--evaluate-regression");

    var ml = new MLContext(seed: 0);
    var model = ml.Model.Load(modelPath, out _);
    var data = ml.Data.LoadFromBinary(dataPath);
    var scored = model.Transform(data);

    using var output = File.Create(outputPath);
    using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = false });
    json.WriteStartObject();

    json.WriteStartArray("schema");
    foreach (var column in scored.Schema)
    {
        json.WriteStartObject();
        json.WriteString("name", column.Name);
        json.WriteString("type", column.Type.ToString());
        json.WriteBoolean("hidden", column.IsHidden);
        json.WriteStartArray("annotations");
        foreach (var annotation in column.Annotations.Schema)
            json.WriteStringValue(annotation.Name);
        json.WriteEndArray();
        json.WriteEndObject();
    }
    json.WriteEndArray();

    json.WriteStartObject("columns");
    foreach (string name in columns)
        WriteColumn(json, scored, name);
    json.WriteEndObject();

    if (evaluateLabel is not null)
    {
        var metrics = ml.MulticlassClassification.Evaluate(scored, labelColumnName: evaluateLabel);
        json.WriteStartObject("metrics");
        json.WriteNumber("MicroAccuracy", metrics.MicroAccuracy);
        json.WriteNumber("MacroAccuracy", metrics.MacroAccuracy);
        json.WriteNumber("LogLoss", metrics.LogLoss);
        json.WriteNumber("LogLossReduction", metrics.LogLossReduction);
        json.WriteStartArray("ConfusionMatrix");
        foreach (var row in metrics.ConfusionMatrix.Counts)
        {
            json.WriteStartArray();
            foreach (double count in row)
                json.WriteNumberValue(count);
            json.WriteEndArray();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    if (evaluateBinary is not null)
    {
        var metrics = ml.BinaryClassification.Evaluate(scored, labelColumnName: evaluateBinary);
        json.WriteStartObject("binaryMetrics");
        json.WriteNumber("AreaUnderRocCurve", metrics.AreaUnderRocCurve);
        json.WriteNumber("Accuracy", metrics.Accuracy);
        json.WriteNumber("F1Score", metrics.F1Score);
        json.WriteNumber("LogLoss", metrics.LogLoss);
        json.WriteEndObject();
    }

    if (evaluateRegression is not null)
    {
        var metrics = ml.Regression.Evaluate(scored, labelColumnName: evaluateRegression);
        json.WriteStartObject("regressionMetrics");
        json.WriteNumber("RSquared", metrics.RSquared);
        json.WriteNumber("MeanAbsoluteError", metrics.MeanAbsoluteError);
        json.WriteNumber("RootMeanSquaredError", metrics.RootMeanSquaredError);
        json.WriteEndObject();
    }

    if (engine is "binary")
    {
        var binary = ml.Model.CreatePredictionEngine<BinaryRow, BinaryPrediction>(model);
        var predictions = ml.Data.CreateEnumerable<BinaryRow>(data, reuseRowObject: false).Select(row => binary.Predict(row)).ToList();
        json.WriteStartObject("engine");
        json.WriteStartArray("Score");
        foreach (var p in predictions)
            WriteFloat(json, p.Score);
        json.WriteEndArray();
        json.WriteStartArray("Probability");
        foreach (var p in predictions)
            WriteFloat(json, p.Probability);
        json.WriteEndArray();
        json.WriteStartArray("PredictedLabel");
        foreach (var p in predictions)
            json.WriteBooleanValue(p.PredictedLabel);
        json.WriteEndArray();
        json.WriteEndObject();
    }
    else if (engine is "regression")
    {
        var regression = ml.Model.CreatePredictionEngine<NumericRow, ValuePrediction>(model);
        json.WriteStartObject("engine");
        json.WriteStartArray("Score");
        foreach (var row in ml.Data.CreateEnumerable<NumericRow>(data, reuseRowObject: false))
            WriteFloat(json, regression.Predict(row).Score);
        json.WriteEndArray();
        json.WriteEndObject();
    }
    else if (engine is not null)
    {
        json.WriteStartObject("engine");
        var predictions = engine switch
        {
            "text" => Predict<TextRow>(ml, model, data),
            "numeric" => Predict<NumericRow>(ml, model, data),
            _ => throw new ArgumentException($"--engine must be 'text' or 'numeric'; got '{engine}'."),
        };
        json.WriteStartArray("Score");
        foreach (var p in predictions)
            WriteFloats(json, p.Score);
        json.WriteEndArray();
        json.WriteStartArray("PredictedLabel");
        foreach (var p in predictions)
            json.WriteNumberValue(p.PredictedLabel);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    json.WriteEndObject();
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine(e);
    return 1;
}

static string? Option(string[] args, string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static List<KeyPrediction> Predict<TRow>(MLContext ml, ITransformer model, IDataView data)
    where TRow : class, new()
{
    var engine = ml.Model.CreatePredictionEngine<TRow, KeyPrediction>(model);
    return ml.Data.CreateEnumerable<TRow>(data, reuseRowObject: false).Select(row => engine.Predict(row)).ToList();
}

static void WriteColumn(Utf8JsonWriter json, IDataView data, string name)
{
    var column = data.Schema[name];
    json.WriteStartArray(name);
    switch (column.Type)
    {
        case VectorDataViewType { ItemType: NumberDataViewType n } when n.RawType == typeof(float):
            foreach (var value in data.GetColumn<float[]>(column))
                WriteFloats(json, value);
            break;
        case KeyDataViewType key when key.RawType == typeof(uint):
            foreach (uint value in data.GetColumn<uint>(column))
                json.WriteNumberValue(value);
            break;
        case TextDataViewType:
            foreach (string value in data.GetColumn<string>(column))
                json.WriteStringValue(value);
            break;
        case BooleanDataViewType:
            foreach (bool value in data.GetColumn<bool>(column))
                json.WriteBooleanValue(value);
            break;
        case NumberDataViewType n when n.RawType == typeof(float):
            foreach (float value in data.GetColumn<float>(column))
                WriteFloat(json, value);
            break;
        default:
            throw new NotSupportedException($"Column '{name}' has type {column.Type}, which the loader does not write.");
    }
    json.WriteEndArray();
}

static void WriteFloats(Utf8JsonWriter json, float[] values)
{
    json.WriteStartArray();
    foreach (float value in values)
        WriteFloat(json, value);
    json.WriteEndArray();
}

// JSON has no NaN or infinity: those are written as strings ("NaN", "Infinity").
static void WriteFloat(Utf8JsonWriter json, float value)
{
    if (float.IsFinite(value))
        json.WriteNumberValue(value);
    else
        json.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
}

/// <summary>A row of the test's text-label blobs (MLNetAdam.Tests.Trainer.TextLabelRow).</summary>
public sealed class TextRow
{
    public string Label { get; set; } = "";

    [VectorType(4)]
    public float[] Features { get; set; } = [];

    public float Weight { get; set; } = 1f;
}

/// <summary>A row of the test's numeric-label blobs (MLNetAdam.Tests.Trainer.NumericLabelRow).</summary>
public sealed class NumericRow
{
    public float Label { get; set; }

    [VectorType(4)]
    public float[] Features { get; set; } = [];
}

/// <summary>What the PredictionEngine returns: the probabilities and the predicted label as a raw key (1-based).</summary>
public sealed class KeyPrediction
{
    public float[] Score { get; set; } = [];

    public uint PredictedLabel { get; set; }
}

/// <summary>A row of the test's binary blobs: a Boolean label and four features.</summary>
public sealed class BinaryRow
{
    public bool Label { get; set; }

    [VectorType(4)]
    public float[] Features { get; set; } = [];
}

/// <summary>What a binary classifier's PredictionEngine returns.</summary>
public sealed class BinaryPrediction
{
    public float Score { get; set; }

    public float Probability { get; set; }

    public bool PredictedLabel { get; set; }
}

/// <summary>What a regression model's PredictionEngine returns.</summary>
public sealed class ValuePrediction
{
    public float Score { get; set; }
}
