using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetAdam.Model;

/// <summary>
/// A row (or cursor) that passes the input columns through and computes the model's columns (<c>Score</c>, and
/// <c>Probability</c> and <c>PredictedLabel</c> as the task has them) from the feature column when asked, once per input position. Each instance owns its scratch memory, so any
/// number of cursors can score at once.
/// </summary>
internal sealed class ScoringRow : DataViewRowCursor
{
    private readonly AdamMlpTransformer.ScoringSchema _schema;
    private readonly DataViewRow _input;
    private readonly DataViewRowCursor? _cursor;
    private readonly bool[] _active;
    private readonly ValueGetter<VBuffer<float>>? _featureGetter;
    private readonly float[] _outputs;
    private readonly ForwardPass<float> _pass;
    private VBuffer<float> _featureBuffer;
    private long _scoredPosition = -1;
    private uint _predicted;
    private float _probability;

    /// <summary>Wraps <paramref name="input"/>; an owned cursor is moved by <see cref="MoveNext"/> and disposed with this row.</summary>
    public ScoringRow(AdamMlpTransformer.ScoringSchema schema, DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns, DataViewRowCursor? ownedCursor)
    {
        _schema = schema;
        _input = input;
        _cursor = ownedCursor;
        _active = new bool[schema.Output.Count];
        foreach (var column in activeColumns)
            _active[column.Index] = true;
        var model = schema.Owner.Model;
        _outputs = new float[model.OutputCount];
        _pass = model.CreateForwardPass();
        if (_active.Skip(schema.Input.Count).Any(a => a))
            _featureGetter = input.GetGetter<VBuffer<float>>(schema.Input[schema.Features.Index]);
    }

    public override DataViewSchema Schema => _schema.Output;

    public override long Position => _input.Position;

    public override long Batch => _input.Batch;

    public override bool MoveNext() =>
        _cursor is not null ? _cursor.MoveNext() : throw new InvalidOperationException("This row is not a cursor.");

    public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) =>
        _schema.IsOwn(column) ? _active[column.Index] : _input.IsColumnActive(_schema.Input[column.Index]);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!_schema.IsOwn(column))
            return _input.GetGetter<TValue>(_schema.Input[column.Index]);
        if (!_active[column.Index])
            throw new InvalidOperationException($"Column '{column.Name}' was not requested when this cursor was created.");
        var task = _schema.Owner.Model.Task;
        if (column.Index == _schema.Score.Index && task == MlpTask.MulticlassClassification)
            return Cast<VBuffer<float>, TValue>(column, GetScoreVector, "a vector of Single");
        if (column.Index == _schema.Score.Index)
            return Cast<float, TValue>(column, GetScore, "Single");
        if (column.Index == _schema.Probability?.Index)
            return Cast<float, TValue>(column, GetProbability, "Single");
        if (task == MlpTask.BinaryClassification)
            return Cast<bool, TValue>(column, GetPredictedFlag, "Boolean");
        return Cast<uint, TValue>(column, GetPredictedLabel, "a key of UInt32");
    }

    private static ValueGetter<TValue> Cast<T, TValue>(DataViewSchema.Column column, ValueGetter<T> getter, string type) =>
        typeof(TValue) == typeof(T)
            ? (ValueGetter<TValue>)(Delegate)getter
            : throw new InvalidOperationException($"Column '{column.Name}' is {type}; asked for {typeof(TValue)}.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _cursor?.Dispose();
        base.Dispose(disposing);
    }

    private void GetScoreVector(ref VBuffer<float> value)
    {
        EnsureScored();
        var editor = VBufferEditor.Create(ref value, _outputs.Length);
        _outputs.CopyTo(editor.Values);
        value = editor.Commit();
    }

    private void GetScore(ref float value)
    {
        EnsureScored();
        value = _outputs[0];
    }

    private void GetProbability(ref float value)
    {
        EnsureScored();
        value = _probability;
    }

    private void GetPredictedFlag(ref bool value)
    {
        EnsureScored();
        value = _outputs[0] > 0;
    }

    private void GetPredictedLabel(ref uint value)
    {
        EnsureScored();
        value = _predicted;
    }

    private void EnsureScored()
    {
        long position = _input.Position;
        if (position >= 0 && position == _scoredPosition)
            return;
        _featureGetter!(ref _featureBuffer);
        var model = _schema.Owner.Model;
        if (_featureBuffer.Length != model.InputSize)
            throw new InvalidOperationException($"Feature column '{_schema.Features.Name}' holds {_featureBuffer.Length} values in row {position}; the model needs {model.InputSize}.");
        // A sparse row is scored over its stored values only; a dense one straight from the buffer (no copy).
        if (_featureBuffer.IsDense)
            model.Score(_featureBuffer.GetValues(), _outputs, _pass);
        else
            model.ScoreSparse(_featureBuffer.GetIndices(), _featureBuffer.GetValues(), _outputs, _pass);
        _scoredPosition = position;
        if (model.Task == MlpTask.BinaryClassification)
            _probability = AdamMlpModelParameters.Sigmoid(_outputs[0]);
        if (model.Task != MlpTask.MulticlassClassification)
            return;

        // Arg max as a 1-based key; 0 (missing) when the scores are not numbers (e.g. a NaN feature).
        int best = -1;
        float bestValue = float.NegativeInfinity;
        for (int c = 0; c < _outputs.Length; c++)
        {
            if (_outputs[c] > bestValue)
            {
                bestValue = _outputs[c];
                best = c;
            }
        }
        _predicted = (uint)(best + 1);
    }
}
