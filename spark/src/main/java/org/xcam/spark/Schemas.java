package org.xcam.spark;

import java.util.List;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.xcam.api.InvalidInputException;

/** The output tables' columns. */
public final class Schemas {
  private Schemas() { }

  /** Network passes one batched explain call took (shared by the batch's images) and the batch's size. */
  public static final StructType PASSES = new StructType(new StructField[] {
      f("forwards", DataTypes.LongType), f("heads", DataTypes.LongType), f("tails", DataTypes.LongType),
      f("vjps", DataTypes.LongType), f("batch_size", DataTypes.IntegerType)});

  /**
   * One row per image x method x explained target: {@code id}, {@code path}, {@code ordinal}, {@code method},
   * {@code layer}, {@code target} (the spec asked for), {@code class_index} and {@code label} (what was explained),
   * {@code score}, {@code raw} (the method's map at its own resolution, row-major) with {@code raw_shape} [h, w],
   * {@code map_npy} (the [0,1] map at the input's size, as .npy bytes, what {@code xcam explain} writes as
   * {@code <stem>.<method>.npy}), {@code passes}, {@code millis} (per image), {@code notes}, {@code regions} (share of
   * the map per anatomical region, with --regions) and {@code error} (null, or one line: then the map columns are null).
   */
  public static final StructType EXPLAIN = new StructType(new StructField[] {
      f("id", DataTypes.StringType), f("path", DataTypes.StringType), f("ordinal", DataTypes.LongType),
      f("method", DataTypes.StringType), f("layer", DataTypes.StringType), f("target", DataTypes.StringType),
      f("class_index", DataTypes.IntegerType), f("label", DataTypes.StringType), f("score", DataTypes.DoubleType),
      f("raw", DataTypes.createArrayType(DataTypes.FloatType, false)),
      f("raw_shape", DataTypes.createArrayType(DataTypes.IntegerType, false)),
      f("map_npy", DataTypes.BinaryType), f("passes", PASSES), f("millis", DataTypes.DoubleType),
      f("notes", DataTypes.createArrayType(DataTypes.StringType, false)),
      f("regions", DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType, false)),
      f("error", DataTypes.StringType)});

  /** A curve of a metric: x and y. */
  public static final StructType CURVE = new StructType(new StructField[] {
      f("x", DataTypes.createArrayType(DataTypes.DoubleType, false)), f("y", DataTypes.createArrayType(DataTypes.DoubleType, false))});

  /** Columns the evaluation adds before the metric columns. */
  static final List<StructField> EVALUATE_EXTRA = List.of(
      f("truth", DataTypes.StringType), f("predicted", DataTypes.StringType), f("correct", DataTypes.BooleanType),
      f("flags", DataTypes.createArrayType(DataTypes.StringType, false)), f("seconds", DataTypes.DoubleType),
      f("scored", DataTypes.BooleanType),
      f("metric_notes", DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType, false)),
      f("curves", DataTypes.createMapType(DataTypes.StringType, CURVE, false)));

  /**
   * The evaluation's rows: {@link #EXPLAIN}'s columns ({@code target} is {@code predicted} or {@code truth}, {@code
   * label} what was explained), then {@code truth} (the ground-truth label), {@code predicted}, {@code correct},
   * {@code flags} (what was done to the ground truth), {@code seconds} (explanation time per image, as results.csv
   * has it), {@code scored} (false for a skipped image: its {@code error} says why), {@code metric_notes},
   * {@code curves}, and one double column per metric, named as the metric (null when not scored: its note says why);
   * each value is the one results.csv would hold (6 significant digits).
   */
  public static StructType evaluate(List<String> metrics) {
    StructType s = EXPLAIN;
    for (StructField x : EVALUATE_EXTRA) s = s.add(x);
    for (String m : metrics) {
      if (List.of(s.fieldNames()).contains(m)) {
        throw new InvalidInputException("metric '" + m + "' has the name of a column of the output; it cannot be a column");
      }
      s = s.add(m, DataTypes.DoubleType, true);
    }
    return s;
  }

  /** A map as a Row holds it (Spark's row encoder takes Scala maps only). */
  static <K, V> scala.collection.Map<K, V> map(java.util.Map<K, V> m) {
    return scala.jdk.javaapi.CollectionConverters.asScala(m);
  }

  private static StructField f(String name, DataType t) { return DataTypes.createStructField(name, t, true); }
}
