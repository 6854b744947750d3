// In tests, `vtex.styleguide` (served by VTEX IO) is the npm package it is published as.
const component = (name) => require(`@vtex/styleguide/lib/${name}`).default

module.exports = {
  Layout: component('Layout'),
  PageHeader: component('PageHeader'),
  PageBlock: component('PageBlock'),
  Alert: component('Alert'),
  Button: component('Button'),
  Progress: component('Progress'),
  Spinner: component('Spinner'),
  RadioGroup: component('RadioGroup'),
  Checkbox: component('Checkbox'),
  EmptyState: component('EmptyState'),
  Pagination: component('Pagination'),
  ToastProvider: require('@vtex/styleguide/lib/ToastProvider').ToastProvider,
  ToastContext: require('@vtex/styleguide/lib/ToastProvider').ToastContext,
  EXPERIMENTAL_Table: component('EXPERIMENTAL_Table'),
  EXPERIMENTAL_useTableMeasures:
    require('@vtex/styleguide/lib/EXPERIMENTAL_Table/hooks/useTableMeasures')
      .default,
}
