/**
 * Value types of the image-reader SPI ({@link org.xcam.api.spi.ImageReader}): where bytes come from
 * ({@link org.xcam.api.image.ImageSource}), what a reader is told ({@link org.xcam.api.image.ImageReadOptions}) and
 * what it returns ({@link org.xcam.api.image.DecodedImage}).
 */
package org.xcam.api.image;
