using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetAdam.Model;

/// <summary>Row-to-row form of <see cref="AdamMlpTransformer"/>, used by <c>PredictionEngine</c>.</summary>
internal sealed class ScoringMapper : IRowToRowMapper
{
    private readonly AdamMlpTransformer.ScoringSchema _schema;

    public ScoringMapper(AdamMlpTransformer.ScoringSchema schema) => _schema = schema;

    public DataViewSchema InputSchema => _schema.Input;

    public DataViewSchema OutputSchema => _schema.Output;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns) =>
        _schema.Dependencies(dependingColumns);

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new ScoringRow(_schema, input, activeColumns, ownedCursor: null);
}
