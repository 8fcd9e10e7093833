'use strict';
// Autocomplete list filters (opsportal.admin.scale.AutocompleteFilter): choosing a value reloads the
// changelist with that filter set (and back to page one); clearing it removes the filter.
// Bound once the page has loaded, to the jQuery that select2 lives on (the last django.jQuery).
document.addEventListener('DOMContentLoaded', function() {
    django.jQuery(document).on('change', 'select.opsportal-autocomplete-filter', function() {
        const params = new URLSearchParams(window.location.search);
        params.delete(this.name);
        params.delete('p');
        if (this.value) {
            params.set(this.name, this.value);
        }
        const query = params.toString();
        window.location.search = query ? '?' + query : '';
    });
});
