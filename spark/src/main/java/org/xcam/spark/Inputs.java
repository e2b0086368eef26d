package org.xcam.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.xcam.api.InvalidInputException;
import org.xcam.api.UnknownNameException;

/**
 * The images of a job as a table with one row per image: {@code ordinal} (0-based input order: batches, per-image
 * targets, metric seeds and the summary's order follow it), {@code id} (the file stem, or {@code phantom-<seed>}: the
 * output's key), {@code path} (any Hadoop filesystem URI; null for phantoms), {@code phantom_seed}, {@code records}
 * (the ground-truth records {@code image,label,x,y,w,h} of a table, as {@code csv:} datasets have them),
 * {@code source} (the table's file name, for messages) and {@code error} (a problem known before loading). Built on the driver from:
 * <ul>
 *   <li>files, directories (their PNG/JPEG/.npy/DICOM files) and globs on any Hadoop filesystem, listed by Hadoop's
 *       {@link FileSystem} and sorted by path;</li>
 *   <li>{@code phantom:<count>[:<seed>]}: rows of seeds, generated on the executors;</li>
 *   <li>tables of paths with labels and boxes, the schema of the {@code csv:} dataset kind ({@code image,label,x,y,w,h},
 *       several rows per image add boxes): {@code csv:<table>[:<image dir>]} or any {@code .csv}, {@code
 *       parquet:<table>[:<image dir>]} or any {@code .parquet}, and {@code nih:<BBox_List csv>:<image dir>}; read by
 *       Spark, grouped per image in the table's order (one file keeps its row order).</li>
 * </ul>
 */
public final class Inputs {
  private Inputs() { }

  /** The input table's schema. */
  public static final StructType SCHEMA = new StructType(new StructField[] {
      DataTypes.createStructField("ordinal", DataTypes.LongType, false),
      DataTypes.createStructField("id", DataTypes.StringType, false),
      DataTypes.createStructField("path", DataTypes.StringType, true),
      DataTypes.createStructField("phantom_seed", DataTypes.LongType, true),
      DataTypes.createStructField("records", DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.StringType, true), true), true),
      DataTypes.createStructField("source", DataTypes.StringType, true),
      DataTypes.createStructField("error", DataTypes.StringType, true)});

  /** File kinds a directory is scanned for. */
  public static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg", "npy", "dcm", "dicom", "dic");

  /** {@code xcam explain}'s inputs: files, directories, globs, tables and {@code phantom:N[:seed]}, in the order given. */
  public static Dataset<Row> images(SparkSession spark, List<String> inputs, long seed) {
    if (inputs.isEmpty()) throw new InvalidInputException("no images given; pass files, directories, globs or phantom:N");
    List<Dataset<Row>> parts = new ArrayList<>();
    List<String> files = new ArrayList<>();
    long offset = 0;
    for (String in : inputs) {
      String lower = in.toLowerCase(Locale.ROOT);
      if (lower.startsWith("phantom:") || isTable(in)) {
        offset = flushFiles(spark, files, offset, parts);
        Dataset<Row> d = lower.startsWith("phantom:") ? phantom(spark, in, seed, offset) : table(spark, in, offset);
        offset += lower.startsWith("phantom:") ? phantomCount(in) : d.count();
        parts.add(d);
      } else {
        files.addAll(list(spark.sparkContext().hadoopConfiguration(), in));
      }
    }
    flushFiles(spark, files, offset, parts);
    Dataset<Row> all = parts.get(0);
    for (int i = 1; i < parts.size(); i++) all = all.unionByName(parts.get(i));
    return all;
  }

  /** {@code xcam evaluate}'s {@code --dataset}: {@code phantom:}, {@code csv:}, {@code nih:}, {@code parquet:} (and paths ending so). */
  public static Dataset<Row> dataset(SparkSession spark, String spec, long seed) {
    String s = spec.trim();
    String lower = s.toLowerCase(Locale.ROOT);
    if (lower.startsWith("phantom:")) return phantom(spark, s, seed, 0);
    if (isTable(s)) return table(spark, s, 0);
    if (lower.startsWith("masks:") || lower.startsWith("dicom:")) {
      throw new InvalidInputException("dataset kind " + lower.substring(0, lower.indexOf(':') + 1) + " is not distributed yet; run it with "
          + "xcam evaluate, or list the images (DICOM too) with "
          + "boxes in a csv:/parquet: table");
    }
    throw UnknownNameException.of("dataset kind", s.contains(":") ? s.substring(0, s.indexOf(':')) : s,
        List.of("phantom:<count>[:<seed>]", "csv:<table>[:<image dir>]", "parquet:<table>[:<image dir>]", "nih:<BBox_List csv>:<image dir>"),
        "e.g. --dataset phantom:500 or --dataset csv:hdfs:///cxr/labels.csv");
  }

  static boolean isTable(String in) {
    String l = in.toLowerCase(Locale.ROOT);
    return l.startsWith("csv:") || l.startsWith("nih:") || l.startsWith("parquet:") || l.endsWith(".csv") || l.endsWith(".parquet");
  }

  // ------------------------------------------------------------------ phantom

  private static long phantomCount(String spec) { return parsePhantom(spec, 0)[0]; }

  private static long[] parsePhantom(String spec, long defaultSeed) {
    String[] p = spec.substring(spec.indexOf(':') + 1).split(":");
    try {
      long count = Long.parseLong(p[0].trim());
      long seed = p.length > 1 ? Long.parseLong(p[1].trim()) : defaultSeed;
      if (count < 1 || p.length > 2) throw new NumberFormatException();
      return new long[] {count, seed};
    } catch (NumberFormatException e) {
      throw new InvalidInputException("'" + spec + "': use phantom:<count>[:<seed>] with count >= 1, e.g. phantom:500");
    }
  }

  /** Phantom seeds {@code seed .. seed+count-1}: only numbers travel; the images are drawn on the executors. */
  static Dataset<Row> phantom(SparkSession spark, String spec, long defaultSeed, long offset) {
    long[] cs = parsePhantom(spec, defaultSeed);
    return spark.range(cs[0]).select(
        col("id").plus(offset).as("ordinal"),
        functionsConcat("phantom-", col("id").plus(cs[1])).as("id"),
        lit(null).cast(DataTypes.StringType).as("path"),
        col("id").plus(cs[1]).as("phantom_seed"),
        lit(null).cast(SCHEMA.apply("records").dataType()).as("records"),
        lit(null).cast(DataTypes.StringType).as("source"),
        lit(null).cast(DataTypes.StringType).as("error"));
  }

  private static org.apache.spark.sql.Column functionsConcat(String prefix, org.apache.spark.sql.Column c) {
    return org.apache.spark.sql.functions.concat(lit(prefix), c.cast(DataTypes.StringType));
  }

  // ------------------------------------------------------------------ files

  private static long flushFiles(SparkSession spark, List<String> files, long offset, List<Dataset<Row>> parts) {
    if (files.isEmpty()) return offset;
    List<Row> rows = new ArrayList<>(files.size());
    long o = offset;
    for (String f : files) rows.add(RowFactory.create(o++, stem(f), f, null, null, null, null));
    JavaRDD<Row> rdd = JavaSparkContext.fromSparkContext(spark.sparkContext())
        .parallelize(rows, Math.max(1, Math.min(rows.size() / 1000 + 1, spark.sparkContext().defaultParallelism())));
    parts.add(spark.createDataFrame(rdd, SCHEMA));
    files.clear();
    return o;
  }

  /** The image files one argument names: a file, a directory's images, or a glob's matches; sorted by path. */
  static List<String> list(Configuration conf, String spec) {
    try {
      Path p = new Path(spec);
      FileSystem fs = p.getFileSystem(conf);
      List<String> out = new ArrayList<>();
      if (spec.matches(".*[*?\\[{].*")) {
        FileStatus[] st = fs.globStatus(p);
        if (st == null || st.length == 0) throw new InvalidInputException("no file matches " + spec + "; check the pattern");
        for (FileStatus s : st) {
          if (s.isDirectory()) out.addAll(listDir(fs, s.getPath()));
          else out.add(s.getPath().toString());
        }
      } else {
        if (!fs.exists(p)) throw new InvalidInputException("no such image: " + spec + "; check the path");
        FileStatus s = fs.getFileStatus(p);
        if (s.isDirectory()) {
          List<String> d = listDir(fs, s.getPath());
          if (d.isEmpty()) throw new InvalidInputException("directory " + spec + " holds no image (" + String.join(", ", IMAGE_EXTENSIONS) + ")");
          out.addAll(d);
        } else {
          out.add(s.getPath().toString());
        }
      }
      out.sort(null);
      return out;
    } catch (IOException e) {
      throw new InvalidInputException("cannot list " + spec + " (" + e.getMessage() + ")", e);
    }
  }

  private static List<String> listDir(FileSystem fs, Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    for (FileStatus s : fs.listStatus(dir)) {
      String n = s.getPath().getName();
      int dot = n.lastIndexOf('.');
      if (s.isFile() && dot > 0 && IMAGE_EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT))) out.add(s.getPath().toString());
    }
    out.sort(null);
    return out;
  }

  /** The file name without its extension: the id {@code xcam explain} names its files by. */
  static String stem(String path) {
    String n = new Path(path).getName();
    return n.contains(".") ? n.substring(0, n.lastIndexOf('.')) : n;
  }

  // ------------------------------------------------------------------ tables

  /** Splits a spec at the colons that separate its parts, not those of a URI scheme ({@code hdfs://}) or port. */
  static List<String> parts(String spec) {
    return Arrays.asList(spec.split(":(?!//)(?!\\d+/)"));
  }

  /**
   * A table of images with labels and boxes: rows {@code image,label,x,y,w,h} (a header row, if any, is dropped),
   * grouped per image in order of first appearance; relative image paths are taken from the image dir, else from
   * the table's folder.
   */
  static Dataset<Row> table(SparkSession spark, String spec, long offset) {
    List<String> p = parts(spec.trim());
    String kind = p.get(0).toLowerCase(Locale.ROOT);
    String file;
    String dir;
    if (kind.equals("csv") || kind.equals("parquet") || kind.equals("nih")) {
      if (p.size() < 2) throw new InvalidInputException("'" + spec + "': use " + kind + ":<table>[:<image dir>]");
      file = p.get(1);
      dir = p.size() > 2 ? String.join(":", p.subList(2, p.size())) : null;
      if (kind.equals("nih") && dir == null) throw new InvalidInputException("dataset '" + spec + "': use nih:<BBox_List csv>:<image dir>");
    } else {
      file = spec.trim();
      dir = null;
      kind = file.toLowerCase(Locale.ROOT).endsWith(".parquet") ? "parquet" : "csv";
    }
    Path tablePath = new Path(file);
    try {
      FileSystem fs = tablePath.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(tablePath)) throw new InvalidInputException("table " + file + " does not exist; check the path");
      tablePath = fs.getFileStatus(tablePath).getPath();
    } catch (IOException e) {
      throw new InvalidInputException("cannot read table " + file + " (" + e.getMessage() + ")", e);
    }
    String base = dir != null ? dir : tablePath.getParent().toString();
    Dataset<Row> raw;
    if (kind.equals("parquet")) {
      Dataset<Row> t = spark.read().parquet(file);
      List<String> cols = Arrays.asList(t.columns());
      if (!cols.contains("image")) {
        throw new InvalidInputException("table " + file + " has columns " + cols + "; it needs image[, label, x, y, w, h] (the csv: schema)");
      }
      org.apache.spark.sql.Column[] c = new org.apache.spark.sql.Column[6];
      String[] names = {"image", "label", "x", "y", "w", "h"};
      for (int i = 0; i < 6; i++) c[i] = (cols.contains(names[i]) ? col(names[i]).cast(DataTypes.StringType) : lit(null).cast(DataTypes.StringType)).as("_c" + i);
      raw = t.select(c);
    } else {
      StructType six = new StructType();
      for (int i = 0; i < 6; i++) six = six.add("_c" + i, DataTypes.StringType, true);
      raw = spark.read().option("header", "false").option("mode", "PERMISSIVE").schema(six).csv(file);
    }
    String where = tablePath.getName();
    Dataset<Row> numbered = raw.withColumn("_row", org.apache.spark.sql.functions.monotonically_increasing_id())
        .filter(col("_c0").isNotNull().and(expr("trim(_c0) <> ''"))
            .and(expr("lower(trim(_c0)) <> 'image' and lower(trim(_c0)) <> 'image index'")));
    Dataset<Row> grouped = numbered
        .withColumn("_rec", expr("slice(array(trim(_c0), _c1, _c2, _c3, _c4, _c5), 1, "
            + "case when _c5 is not null then 6 when _c4 is not null then 5 when _c3 is not null then 4 "
            + "when _c2 is not null then 3 when _c1 is not null then 2 else 1 end)"))
        .groupBy(expr("trim(_c0)").as("_image"))
        .agg(expr("min(_row)").as("_first"), expr("transform(array_sort(collect_list(struct(_row, _rec))), x -> x._rec)").as("records"))
        .sort("_first");
    StructType withIndex = new StructType().add("_image", DataTypes.StringType).add("records", SCHEMA.apply("records").dataType())
        .add("_ordinal", DataTypes.LongType);
    JavaRDD<Row> indexed = grouped.select("_image", "records").javaRDD().zipWithIndex()
        .map(t -> RowFactory.create(t._1().getString(0), t._1().get(1), t._2()));
    String baseDir = base;
    long off = offset;
    return spark.createDataFrame(indexed, withIndex).select(
        col("_ordinal").plus(off).as("ordinal"),
        org.apache.spark.sql.functions.udf((UDF1<String, String>) Inputs::stem, DataTypes.StringType).apply(col("_image")).as("id"),
        org.apache.spark.sql.functions.udf((UDF1<String, String>) img -> resolve(baseDir, img), DataTypes.StringType)
            .apply(col("_image")).as("path"),
        lit(null).cast(DataTypes.LongType).as("phantom_seed"),
        col("records"),
        lit(where).as("source"),
        lit(null).cast(DataTypes.StringType).as("error"));
  }

  /** An image path of a table: absolute paths and URIs as they are, others under the base folder. */
  static String resolve(String base, String image) {
    Path p = new Path(image);
    if (p.isAbsolute() || p.toUri().getScheme() != null) return image;
    return new Path(new Path(base), image).toString();
  }
}
