// Text in a figure: the font, its measured size, and text placed by an anchor point.
#include "core/plots/figure_renderer.h"

namespace biornn::plot_internal {

void set_font(cairo_t* cr, double size) {
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

TextSize measure(cairo_t* cr, const std::string& s) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  cairo_font_extents_t f;
  cairo_font_extents(cr, &f);
  return {e.x_advance, f.ascent + f.descent};
}

void draw_text(cairo_t* cr, const std::string& s, double x, double y, double ax, double ay, double degrees) {
  if (s.empty()) return;
  cairo_font_extents_t f;
  cairo_font_extents(cr, &f);
  const TextSize size = measure(cr, s);
  cairo_save(cr);
  cairo_translate(cr, x, y);
  cairo_rotate(cr, -degrees * kPi / 180);
  cairo_move_to(cr, -ax * size.width, -ay * size.height + f.ascent);
  cairo_show_text(cr, s.c_str());
  cairo_restore(cr);
}

void set_color(cairo_t* cr, const Color& c, double alpha) { cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha); }

cairo_status_t append_to_string(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace biornn::plot_internal
