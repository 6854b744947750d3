// `vtex.styleguide` (served by VTEX IO) as its npm package @vtex/styleguide, for the component
// tests and the local demo (local/adminPage.ts aliases it here). One module per component, so
// charts and their peer dependencies stay out; static requires, so esbuild can bundle them.
module.exports = {
  Layout: require('@vtex/styleguide/lib/Layout').default,
  PageHeader: require('@vtex/styleguide/lib/PageHeader').default,
  PageBlock: require('@vtex/styleguide/lib/PageBlock').default,
  Alert: require('@vtex/styleguide/lib/Alert').default,
  Button: require('@vtex/styleguide/lib/Button').default,
  Progress: require('@vtex/styleguide/lib/Progress').default,
  Spinner: require('@vtex/styleguide/lib/Spinner').default,
  RadioGroup: require('@vtex/styleguide/lib/RadioGroup').default,
  Checkbox: require('@vtex/styleguide/lib/Checkbox').default,
  EmptyState: require('@vtex/styleguide/lib/EmptyState').default,
  Dropdown: require('@vtex/styleguide/lib/Dropdown').default,
  ToastProvider: require('@vtex/styleguide/lib/ToastProvider').ToastProvider,
  ToastContext: require('@vtex/styleguide/lib/ToastProvider').ToastContext,
  EXPERIMENTAL_Table: require('@vtex/styleguide/lib/EXPERIMENTAL_Table')
    .default,
  EXPERIMENTAL_useTableMeasures:
    require('@vtex/styleguide/lib/EXPERIMENTAL_Table/hooks/useTableMeasures')
      .default,
}
