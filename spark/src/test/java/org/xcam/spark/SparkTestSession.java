package org.xcam.spark;

import org.apache.spark.sql.SparkSession;

/** The tests' Spark: a real local session with two worker threads, retrying a failed task up to four times. */
final class SparkTestSession {
  private SparkTestSession() { }

  static SparkSession start() {
    return SparkSession.builder().appName("xcam-spark-test").master("local[2,4]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
  }
}
